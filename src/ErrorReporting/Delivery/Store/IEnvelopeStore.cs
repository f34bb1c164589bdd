namespace ErrorReporting.Delivery.Store;

/// <summary>
/// Where serialized envelopes wait for the sender, in report order: in memory, or on disk when an offline cache is
/// configured. The intake adds, the sender reads and removes; the health check and the counters read the counts.
/// </summary>
internal interface IEnvelopeStore : IDisposable
{
    /// <summary>Gets the number of envelopes waiting (in flight included).</summary>
    int Count { get; }

    /// <summary>Gets the sequence of the oldest waiting envelope, or <see cref="long.MaxValue"/> when none waits.</summary>
    long OldestSequence { get; }

    /// <summary>Gets a signal set whenever an envelope is added.</summary>
    AsyncSignal Added { get; }

    /// <summary>
    /// Prepares the store on the engine's background thread (the offline cache creates its folder and restores what an
    /// earlier process left) and returns how many envelopes it restored. Never throws: what cannot be used is logged.
    /// </summary>
    int Open();

    /// <summary>Adds an envelope (never waits).</summary>
    void Add(PendingEnvelope envelope);

    /// <summary>Copies up to <paramref name="count"/> of the oldest envelopes, oldest first, into <paramref name="into"/> (cleared first), without removing them.</summary>
    void PeekOldest(List<PendingEnvelope> into, int count);

    /// <summary>Removes an envelope (delivered or definitively dropped) and releases it.</summary>
    void Remove(PendingEnvelope envelope);

    /// <summary>Claims an envelope for a send (never evicted while claimed); <see langword="false"/> when it was evicted meanwhile.</summary>
    bool TryClaim(PendingEnvelope envelope);

    /// <summary>Ends the claim of an envelope that stays (its send got no response).</summary>
    void Release(PendingEnvelope envelope);
}
