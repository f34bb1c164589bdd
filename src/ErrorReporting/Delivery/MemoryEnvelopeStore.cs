using System.Diagnostics.CodeAnalysis;

namespace ErrorReporting.Delivery;

/// <summary>
/// A small in-memory buffer between the worker and the sender, so the next event is built while one is on the wire.
/// When it is full the worker waits, and further reports wait in the report queue (bounded by <c>MaxQueueItems</c>).
/// </summary>
internal sealed class MemoryEnvelopeStore : IEnvelopeStore
{
    public const int DefaultCapacity = 16;

    private readonly Queue<PendingEnvelope> _envelopes = new();
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly Action _onAdded;
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _events;

    public MemoryEnvelopeStore(Action onAdded, int capacity = DefaultCapacity)
    {
        _onAdded = onAdded;
        _capacity = capacity;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _envelopes.Count;
            }
        }
    }

    public int EventCount => Volatile.Read(ref _events);

    public long OldestSequence
    {
        get
        {
            lock (_gate)
            {
                return _envelopes.TryPeek(out var oldest) ? oldest.Sequence : long.MaxValue;
            }
        }
    }

    public async ValueTask AddAsync(PendingEnvelope envelope, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                if (_envelopes.Count < _capacity)
                {
                    _envelopes.Enqueue(envelope);
                    if (envelope.HasEvent)
                    {
                        _events++;
                    }

                    break;
                }

                room = _room.Task;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _onAdded();
    }

    public bool TryPeek([NotNullWhen(true)] out PendingEnvelope? envelope)
    {
        lock (_gate)
        {
            return _envelopes.TryPeek(out envelope);
        }
    }

    public void Remove(PendingEnvelope envelope)
    {
        TaskCompletionSource room;
        lock (_gate)
        {
            if (!_envelopes.TryPeek(out var oldest) || !ReferenceEquals(oldest, envelope))
            {
                throw new InvalidOperationException("Only the oldest envelope can be removed.");
            }

            _envelopes.Dequeue();
            if (envelope.HasEvent)
            {
                _events--;
            }

            room = _room;
            _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        envelope.Dispose();
        room.TrySetResult();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            while (_envelopes.TryDequeue(out var envelope))
            {
                envelope.Dispose();
            }
        }
    }
}
