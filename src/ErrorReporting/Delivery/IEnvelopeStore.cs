namespace ErrorReporting.Delivery;

/// <summary>
/// Where serialized envelopes wait for the sender, oldest first: in memory, or on disk when an offline cache is configured.
/// One producer (the worker) and one consumer (the sender).
/// </summary>
internal interface IEnvelopeStore : IDisposable
{
    /// <summary>Gets the number of envelopes waiting.</summary>
    int Count { get; }

    /// <summary>Gets the sequence of the oldest waiting envelope, or <see cref="long.MaxValue"/> when none waits.</summary>
    long OldestSequence { get; }

    /// <summary>Adds an envelope; may wait for room.</summary>
    ValueTask AddAsync(PendingEnvelope envelope, CancellationToken cancellationToken);

    /// <summary>Copies up to <paramref name="count"/> of the oldest envelopes, oldest first, into <paramref name="into"/> (cleared first), without removing them.</summary>
    void PeekOldest(List<PendingEnvelope> into, int count);

    /// <summary>Removes an envelope (delivered or definitively dropped) and releases it.</summary>
    void Remove(PendingEnvelope envelope);
}
