namespace ErrorReporting.Delivery;

/// <summary>
/// A small in-memory buffer between the worker and the sender, so envelopes are serialized while others are on the wire.
/// When it is full the worker waits until it has drained to half (serializing then resumes in a batch, not one wake-up
/// per envelope), and further envelopes wait in the delivery queue (bounded by <c>MaxQueueItems</c>).
/// </summary>
internal sealed class MemoryEnvelopeStore : IEnvelopeStore
{
    public const int DefaultCapacity = 16;

    private readonly EnvelopeList _envelopes = new();
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly Action _onAdded;
    private TaskCompletionSource? _room;

    public MemoryEnvelopeStore(Action onAdded, int capacity = DefaultCapacity)
    {
        _onAdded = onAdded;
        _capacity = capacity;
    }

    public int Count => _envelopes.Count;

    public long OldestSequence => _envelopes.OldestSequence;

    public async ValueTask AddAsync(PendingEnvelope envelope, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                if (_envelopes.TryAdd(envelope, _capacity))
                {
                    break;
                }

                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            _onAdded(); // the sender may be waiting for what is already here
            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _onAdded();
    }

    public void PeekOldest(List<PendingEnvelope> into, int count) => _envelopes.PeekOldest(into, count);

    public void Remove(PendingEnvelope envelope)
    {
        TaskCompletionSource? room = null;
        lock (_gate)
        {
            var remaining = _envelopes.Remove(envelope);
            if (remaining < 0)
            {
                return;
            }

            if (_room is not null && remaining <= _capacity / 2)
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
        foreach (var envelope in _envelopes.RemoveAll())
        {
            envelope.Dispose();
        }

        lock (_gate)
        {
            _room?.TrySetResult();
        }
    }
}
