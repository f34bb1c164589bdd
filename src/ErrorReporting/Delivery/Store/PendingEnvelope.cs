using System.Buffers;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Queue;

namespace ErrorReporting.Delivery.Store;

/// <summary>
/// An envelope waiting to be sent, serialized by the SDK: its header line without <c>sent_at</c> (which is written at
/// each send, so that a cached envelope never carries a stale one) and its items, framed. In the offline cache the
/// bytes live in a file and are read when the envelope is sent. While it is in memory it holds room in its lane of
/// the delivery queue (<see cref="QueueRoom"/>); it gives the room back once on disk, delivered or dropped.
/// </summary>
internal sealed class PendingEnvelope : IDisposable
{
    private readonly QueueRoom? _room;
    private byte[]? _header;
    private byte[]? _items;
    private int _itemsLength;
    private int _holdsRoom;
    private int _spans = -1;

    public PendingEnvelope(long sequence, SentryId eventId, string[] categories, QueueLane lane, QueueRoom? room, ReadOnlySpan<byte> header, ReadOnlySpan<byte> items)
    {
        Sequence = sequence;
        EventId = eventId;
        Categories = categories;
        Lane = lane;
        _room = room;
        _holdsRoom = room is null ? 0 : 1;
        _header = header.ToArray();
        _items = ArrayPool<byte>.Shared.Rent(Math.Max(1, items.Length));
        items.CopyTo(_items);
        _itemsLength = items.Length;
        _spans = Array.IndexOf(categories, SpanCounts.TransactionCategory) < 0 ? 0 : SpanCounts.OfItems(items);
    }

    private PendingEnvelope(long sequence, SentryId eventId, string[] categories, QueueLane lane, string filePath)
    {
        Sequence = sequence;
        EventId = eventId;
        Categories = categories;
        Lane = lane;
        FilePath = filePath;
    }

    /// <summary>Gets the envelope's place in the store (its order); negative for envelopes left by an earlier process.</summary>
    public long Sequence { get; }

    /// <summary>Gets the event id of the envelope header, or <see cref="SentryId.Empty"/> for an envelope without one.</summary>
    public SentryId EventId { get; }

    /// <summary>Gets the data categories of the items (for rate limits and client reports), one per item.</summary>
    public string[] Categories { get; }

    /// <summary>
    /// Gets the spans of its transactions, counted with them when the envelope is dropped (0 without a transaction;
    /// for an envelope of the offline cache, read from its file on first need).
    /// </summary>
    public int Spans
    {
        get
        {
            if (_spans < 0)
            {
                _spans = Array.IndexOf(Categories, SpanCounts.TransactionCategory) < 0 ? 0 : ReadSpans();
            }

            return _spans;
        }
    }

    /// <summary>Gets the lane the envelope came through (the offline cache evicts <see cref="QueueLane.Bulk"/> first).</summary>
    public QueueLane Lane { get; }

    /// <summary>Gets the file that holds the envelope in the offline cache.</summary>
    public string? FilePath { get; private set; }

    /// <summary>
    /// Gets or sets a value indicating whether a send of this envelope is under way (the cache never evicts it then).
    /// Set and cleared only by <see cref="EnvelopeList"/>, under its lock.
    /// </summary>
    public bool InFlight { get; set; }

    /// <summary>Gets or sets the envelope's node in its store's <see cref="EnvelopeList"/> (its <c>List</c> is null once removed).</summary>
    public LinkedListNode<PendingEnvelope>? Node { get; set; }

    /// <summary>Gets the header JSON object without <c>sent_at</c>, reading the cache file when it is not in memory.</summary>
    /// <exception cref="IOException">The cache file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The cache file is not an envelope.</exception>
    public ReadOnlySpan<byte> Header
    {
        get
        {
            Load();
            return _header;
        }
    }

    /// <summary>Gets the framed items, reading the cache file when they are not in memory.</summary>
    /// <exception cref="IOException">The cache file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The cache file is not an envelope.</exception>
    public ReadOnlySpan<byte> Items
    {
        get
        {
            Load();
            return _items.AsSpan(0, _itemsLength);
        }
    }

    /// <summary>Describes an envelope found in the offline cache; its bytes are read when it is sent.</summary>
    public static PendingEnvelope FromFile(long sequence, SentryId eventId, string[] categories, QueueLane lane, string filePath)
        => new(sequence, eventId, categories, lane, filePath);

    /// <summary>Records that the envelope is now in <paramref name="filePath"/>, releasing the memory copy and the queue room.</summary>
    public void MoveToFile(string filePath)
    {
        FilePath = filePath;
        Dispose();
    }

    /// <summary>Drops the bytes read from the cache file for a send (they are read again for the next one).</summary>
    public void Unload()
    {
        if (FilePath is not null)
        {
            ReleaseBytes();
        }
    }

    /// <summary>Releases the in-memory copy and gives back the queue room.</summary>
    public void Dispose()
    {
        ReleaseBytes();
        if (Interlocked.Exchange(ref _holdsRoom, 0) == 1)
        {
            _room!.Release(Lane);
        }
    }

    private int ReadSpans()
    {
        var loaded = _items is not null;
        try
        {
            return SpanCounts.OfItems(Items);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException or ObjectDisposedException)
        {
            return Categories.Count(c => c == SpanCounts.TransactionCategory);
        }
        finally
        {
            if (!loaded)
            {
                Unload();
            }
        }
    }

    private void ReleaseBytes()
    {
        _header = null;
        if (Interlocked.Exchange(ref _items, null) is { } items)
        {
            ArrayPool<byte>.Shared.Return(items);
        }
    }

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
            throw new InvalidDataException("The cache file has no header line.");
        }

        _header = bytes.AsSpan(0, headerEnd).ToArray();
        var items = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes.Length - headerEnd - 1));
        bytes.AsSpan(headerEnd + 1).CopyTo(items);
        _itemsLength = bytes.Length - headerEnd - 1;
        _items = items;
    }
}
