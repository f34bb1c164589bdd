namespace ErrorReporting.Delivery.Store;

/// <summary>
/// The store without an offline cache: serialized envelopes wait in memory, bounded by the room of the delivery
/// queue's lanes that each of them holds until it is delivered or dropped. They survive outages and rate limits as
/// long as the process lives.
/// </summary>
internal sealed class MemoryEnvelopeStore : IEnvelopeStore
{
    private readonly EnvelopeList _envelopes = new();

    public int Count => _envelopes.Count;

    public long OldestSequence => _envelopes.OldestSequence;

    public AsyncSignal Added { get; } = new();

    public int Open() => 0;

    public void Add(PendingEnvelope envelope)
    {
        _envelopes.Add(envelope);
        Added.Set();
    }

    public void PeekOldest(List<PendingEnvelope> into, int count) => _envelopes.PeekOldest(into, count);

    public bool TryClaim(PendingEnvelope envelope) => _envelopes.TryClaim(envelope);

    public void Release(PendingEnvelope envelope) => _envelopes.Release(envelope);

    public void Remove(PendingEnvelope envelope)
    {
        if (_envelopes.Remove(envelope))
        {
            envelope.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var envelope in _envelopes.RemoveAll())
        {
            envelope.Dispose();
        }
    }
}
