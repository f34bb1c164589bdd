namespace ErrorReporting.Delivery;

/// <summary>
/// A small in-memory buffer between the worker and the sender, so events are built while others are on the wire.
/// When it is full the worker waits until it has drained to half (building then resumes in a batch, not one wake-up per
/// event), and further reports wait in the report queue (bounded by <c>MaxQueueItems</c>).
/// </summary>
internal sealed class MemoryEnvelopeStore : IEnvelopeStore
{
    public const int DefaultCapacity = 16;

    private readonly LinkedList<PendingEnvelope> _envelopes = new();
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly Action _onAdded;
    private TaskCompletionSource? _room;
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
                var oldest = long.MaxValue;
                foreach (var envelope in _envelopes)
                {
                    oldest = Math.Min(oldest, envelope.Sequence);
                }

                return oldest;
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
                    _envelopes.AddLast(envelope);
                    if (envelope.HasEvent)
                    {
                        _events++;
                    }

                    break;
                }

                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            _onAdded(); // the sender may be waiting for what is already here
            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _onAdded();
    }

    public void PeekOldest(List<PendingEnvelope> into, int count)
    {
        into.Clear();
        lock (_gate)
        {
            for (var node = _envelopes.First; node is not null && into.Count < count; node = node.Next)
            {
                into.Add(node.Value);
            }
        }
    }

    public void Remove(PendingEnvelope envelope)
    {
        TaskCompletionSource? room = null;
        lock (_gate)
        {
            if (!_envelopes.Remove(envelope))
            {
                return;
            }

            if (envelope.HasEvent)
            {
                _events--;
            }

            if (_room is not null && _envelopes.Count <= _capacity / 2)
            {
                room = _room;
                _room = null;
            }
        }

        envelope.Dispose();
        room?.TrySetResult();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var envelope in _envelopes)
            {
                envelope.Dispose();
            }

            _envelopes.Clear();
            _room?.TrySetResult();
        }
    }
}
