using System.Buffers;

namespace ErrorReporting.Delivery;

/// <summary>
/// An envelope waiting to be sent: its items, already framed (the header is written at each send, with <c>sent_at</c>).
/// In the offline cache the items live in a file and are read when the envelope is sent.
/// </summary>
internal sealed class PendingEnvelope : IDisposable
{
    /// <summary>The sequence of envelopes left in the offline cache by an earlier process: older than anything reported now.</summary>
    public const long RestoredSequence = -1;

    private byte[]? _items;
    private int _length;

    public PendingEnvelope(long sequence, SentryEventId eventId, ReadOnlySpan<byte> items, DateTimeOffset createdAt)
    {
        Sequence = sequence;
        EventId = eventId;
        CreatedAt = createdAt;
        _items = ArrayPool<byte>.Shared.Rent(items.Length);
        items.CopyTo(_items);
        _length = items.Length;
    }

    private PendingEnvelope(long sequence, SentryEventId eventId, string filePath, int itemsOffset)
    {
        Sequence = sequence;
        EventId = eventId;
        FilePath = filePath;
        ItemsOffset = itemsOffset;
    }

    /// <summary>Gets the report's sequence number (its position in the report queue), or <see cref="RestoredSequence"/>.</summary>
    public long Sequence { get; }

    /// <summary>Gets the event id, or <see cref="SentryEventId.Empty"/> for an envelope without an event.</summary>
    public SentryEventId EventId { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets the file that holds the envelope in the offline cache.</summary>
    public string? FilePath { get; private set; }

    /// <summary>Gets where the items start in <see cref="FilePath"/> (after the stored envelope header line).</summary>
    public int ItemsOffset { get; private set; }

    /// <summary>Gets or sets a value indicating whether a send of this envelope is under way (the sender's flag; the cache never evicts it then).</summary>
    public bool InFlight { get; set; }

    /// <summary>Gets a value indicating whether the envelope carries an event (data category <c>error</c>).</summary>
    public bool HasEvent => !EventId.IsEmpty;

    /// <summary>Gets the framed items, reading them from the cache file when they are not in memory.</summary>
    public ReadOnlySpan<byte> Items
    {
        get
        {
            if (_items is null && FilePath is not null)
            {
                var bytes = File.ReadAllBytes(FilePath);
                _items = ArrayPool<byte>.Shared.Rent(bytes.Length - ItemsOffset);
                bytes.AsSpan(ItemsOffset).CopyTo(_items);
                _length = bytes.Length - ItemsOffset;
            }

            return _items is null ? throw new ObjectDisposedException(nameof(PendingEnvelope)) : _items.AsSpan(0, _length);
        }
    }

    /// <summary>Describes an envelope found in the offline cache; its items are read when it is sent.</summary>
    public static PendingEnvelope FromFile(long sequence, SentryEventId eventId, string filePath, int itemsOffset)
        => new(sequence, eventId, filePath, itemsOffset);

    /// <summary>Records that the items are now in <paramref name="filePath"/> and releases the memory copy.</summary>
    public void MoveToFile(string filePath, int itemsOffset)
    {
        FilePath = filePath;
        ItemsOffset = itemsOffset;
        ReleaseMemory();
    }

    /// <summary>Releases the in-memory copy of the items (a cached envelope reads them again when needed).</summary>
    public void ReleaseMemory()
    {
        var items = Interlocked.Exchange(ref _items, null);
        if (items is not null)
        {
            ArrayPool<byte>.Shared.Return(items);
        }
    }

    public void Dispose() => ReleaseMemory();
}
