using System.Buffers;

namespace ErrorReporting.Delivery;

/// <summary>
/// An envelope waiting to be sent: its items, already framed (the header is written at each send, with <c>sent_at</c>).
/// </summary>
internal sealed class PendingEnvelope : IDisposable
{
    /// <summary>The sequence of envelopes left in the offline cache by an earlier process: older than anything reported now.</summary>
    public const long RestoredSequence = -1;

    private byte[]? _items;

    public PendingEnvelope(long sequence, SentryEventId eventId, ReadOnlySpan<byte> items, DateTimeOffset createdAt)
    {
        Sequence = sequence;
        EventId = eventId;
        CreatedAt = createdAt;
        _items = ArrayPool<byte>.Shared.Rent(items.Length);
        items.CopyTo(_items);
        Length = items.Length;
    }

    /// <summary>Gets the report's sequence number (its position in the report queue), or <see cref="RestoredSequence"/>.</summary>
    public long Sequence { get; }

    /// <summary>Gets the event id, or <see cref="SentryEventId.Empty"/> for an envelope without an event.</summary>
    public SentryEventId EventId { get; }

    public DateTimeOffset CreatedAt { get; }

    public int Length { get; }

    /// <summary>Gets or sets the file that holds the envelope in the offline cache.</summary>
    public string? FilePath { get; set; }

    /// <summary>Gets the framed items.</summary>
    public ReadOnlySpan<byte> Items => _items is null ? throw new ObjectDisposedException(nameof(PendingEnvelope)) : _items.AsSpan(0, Length);

    /// <summary>Gets a value indicating whether the envelope carries an event (data category <c>error</c>).</summary>
    public bool HasEvent => !EventId.IsEmpty;

    public void Dispose()
    {
        var items = Interlocked.Exchange(ref _items, null);
        if (items is not null)
        {
            ArrayPool<byte>.Shared.Return(items);
        }
    }
}
