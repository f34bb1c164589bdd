using System.Buffers;

namespace ErrorReporting.Delivery;

/// <summary>
/// An envelope waiting to be sent, serialized by the SDK: its header line without <c>sent_at</c> (which is written at
/// each send, so that a cached envelope never carries a stale one) and its items, framed. In the offline cache the
/// bytes live in a file and are read when the envelope is sent.
/// </summary>
internal sealed class PendingEnvelope : IDisposable
{
    /// <summary>The sequence of envelopes left in the offline cache by an earlier process: older than anything reported now.</summary>
    public const long RestoredSequence = -1;

    private byte[]? _header;
    private byte[]? _items;
    private int _itemsLength;

    public PendingEnvelope(long sequence, SentryId eventId, string[] categories, ReadOnlySpan<byte> header, ReadOnlySpan<byte> items)
    {
        Sequence = sequence;
        EventId = eventId;
        Categories = categories;
        _header = header.ToArray();
        _items = ArrayPool<byte>.Shared.Rent(Math.Max(1, items.Length));
        items.CopyTo(_items);
        _itemsLength = items.Length;
    }

    private PendingEnvelope(long sequence, SentryId eventId, string[] categories, string filePath)
    {
        Sequence = sequence;
        EventId = eventId;
        Categories = categories;
        FilePath = filePath;
    }

    /// <summary>Gets the envelope's sequence number (its position in the delivery queue), or <see cref="RestoredSequence"/>.</summary>
    public long Sequence { get; }

    /// <summary>Gets the event id of the envelope header, or <see cref="SentryId.Empty"/> for an envelope without one.</summary>
    public SentryId EventId { get; }

    /// <summary>Gets the data categories of the items (for rate limits and client reports), one per item.</summary>
    public string[] Categories { get; }

    /// <summary>Gets the file that holds the envelope in the offline cache.</summary>
    public string? FilePath { get; private set; }

    /// <summary>Gets or sets a value indicating whether a send of this envelope is under way (the cache never evicts it then).</summary>
    public bool InFlight { get; set; }

    /// <summary>Gets the header JSON object without <c>sent_at</c>, reading the cache file when it is not in memory.</summary>
    public ReadOnlySpan<byte> Header
    {
        get
        {
            Load();
            return _header;
        }
    }

    /// <summary>Gets the framed items, reading the cache file when they are not in memory.</summary>
    public ReadOnlySpan<byte> Items
    {
        get
        {
            Load();
            return _items.AsSpan(0, _itemsLength);
        }
    }

    /// <summary>Describes an envelope found in the offline cache; its bytes are read when it is sent.</summary>
    public static PendingEnvelope FromFile(long sequence, SentryId eventId, string[] categories, string filePath) => new(sequence, eventId, categories, filePath);

    /// <summary>Records that the envelope is now in <paramref name="filePath"/> and releases the memory copy.</summary>
    public void MoveToFile(string filePath)
    {
        FilePath = filePath;
        ReleaseMemory();
    }

    /// <summary>Releases the in-memory copy (a cached envelope reads its file again when needed).</summary>
    public void ReleaseMemory()
    {
        _header = null;
        var items = Interlocked.Exchange(ref _items, null);
        if (items is not null)
        {
            ArrayPool<byte>.Shared.Return(items);
        }
    }

    public void Dispose() => ReleaseMemory();

    private void Load()
    {
        if (_items is not null && _header is not null)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(FilePath is null, this);
        var bytes = File.ReadAllBytes(FilePath);
        var headerEnd = bytes.AsSpan().IndexOf((byte)'\n');
        if (headerEnd < 0)
        {
            throw new InvalidDataException($"The cache file {FilePath} has no header line.");
        }

        _header = bytes.AsSpan(0, headerEnd).ToArray();
        var items = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes.Length - headerEnd - 1));
        bytes.AsSpan(headerEnd + 1).CopyTo(items);
        _itemsLength = bytes.Length - headerEnd - 1;
        _items = items;
    }
}
