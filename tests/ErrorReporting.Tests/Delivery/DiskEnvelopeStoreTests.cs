using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace ErrorReporting.Tests.Delivery;

public sealed class DiskEnvelopeStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "errorreporting-tests", Guid.NewGuid().ToString("N"));
    private readonly DeliveryCounters _counters = new(TimeProvider.System);

    [Fact]
    public async Task Add_Envelope_WritesOwnerOnlyFileAndDeletesItOnRemove()
    {
        using var store = Open();
        var envelope = Envelope(1);

        store.Add(envelope);

        var file = Assert.Single(CacheFiles(store));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        }

        var peeked = Oldest(store);
        Assert.Equal(envelope.EventId, peeked.EventId);
        Assert.Equal(Items(1), peeked.Items.ToArray());
        Assert.Equal(Header(envelope.EventId), peeked.Header.ToArray());
        Assert.Equal(["error"], peeked.Categories);
        store.Remove(peeked);
        Assert.Empty(CacheFiles(store));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Open_FilesLeftByEarlierProcess_RestoresThemOldestFirst()
    {
        var ids = new List<SentryId>();
        using (var first = Open())
        {
            for (var i = 0; i < 5; i++)
            {
                var envelope = Envelope(i);
                ids.Add(envelope.EventId);
                first.Add(envelope);
            }
        }

        using var second = Open();

        Assert.Equal(5, second.Count);
        Assert.Equal(5, _counters.Restored);
        Assert.Equal(-5, second.OldestSequence);
        var restored = new List<SentryId>();
        while (second.Count > 0)
        {
            var envelope = Oldest(second);
            Assert.Equal(Items(restored.Count), envelope.Items.ToArray());
            Assert.Equal(["error"], envelope.Categories);
            restored.Add(envelope.EventId);
            second.Remove(envelope);
        }

        Assert.Equal(ids, restored);
    }

    [Theory]
    [InlineData("{\"event_id\":\"not-an-id\"}\n{\"type\":\"event\",\"length\":2}\n{}\n")]
    [InlineData("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"event\",\"length\":200}\n{}\n")]
    [InlineData("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"event\",\"len")]
    [InlineData("[1,2]\n{\"type\":\"event\",\"length\":2}\n{}\n")]
    [InlineData("")]
    [InlineData("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n")]
    public async Task Open_CorruptFile_IsRemovedAndOthersRestored(string corrupt)
    {
        using (var first = Open())
        {
            first.Add(Envelope(0));
        }

        var directory = Path.Combine(_root, DiskEnvelopeStore.Hash(Identity));
        var corruptPath = Path.Combine(directory, "0000000000000000001-corrupt" + DiskEnvelopeStore.Extension);
        await File.WriteAllTextAsync(corruptPath, corrupt);
        var leftover = Path.Combine(directory, "0000000000000000002-half" + DiskEnvelopeStore.Extension + DiskEnvelopeStore.TemporaryExtension);
        await File.WriteAllTextAsync(leftover, "{\"event_id\"");

        using var second = Open();

        Assert.Equal(1, second.Count);
        Assert.False(File.Exists(corruptPath));
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public async Task Add_BeyondCapacity_EvictsOldestAndCountsCacheOverflow()
    {
        using var store = Open(capacity: 3);
        var envelopes = Enumerable.Range(0, 5).Select(Envelope).ToList();

        foreach (var envelope in envelopes)
        {
            store.Add(envelope);
        }

        Assert.Equal(3, store.Count);
        Assert.Equal(3, CacheFiles(store).Count);
        Assert.Equal(2, _counters.Dropped(DiscardReason.CacheOverflow));
        Assert.Equal(envelopes[2].EventId, Oldest(store).EventId);
    }

    [Fact]
    public async Task Add_BeyondCapacity_NeverEvictsTheEnvelopeBeingSent()
    {
        using var store = Open(capacity: 2);
        store.Add(Envelope(0));
        var inFlight = Oldest(store);
        inFlight.InFlight = true;

        store.Add(Envelope(1));
        store.Add(Envelope(2));

        Assert.Same(inFlight, Oldest(store));
        Assert.Equal(2, store.Count);
        Assert.Equal(1, _counters.Dropped(DiscardReason.CacheOverflow));
    }

    [Fact]
    public async Task Add_Envelope_FileIsAValidSentryEnvelopeWithoutSentAt()
    {
        using var store = Open();
        var envelope = Envelope(3);

        store.Add(envelope);

        var bytes = await File.ReadAllBytesAsync(Assert.Single(CacheFiles(store)));
        var parsed = Infrastructure.TestEnvelope.Parse(bytes);
        Assert.Equal(envelope.EventId.ToString(), parsed.HeaderEventId);
        Assert.False(parsed.Header.TryGetProperty("sent_at", out _));
        await Infrastructure.Conformance.AssertValidAsync(bytes);
    }

    [Fact]
    public void Open_SecondStoreOnSameFolder_IsRefused()
    {
        using var first = Open();

        Assert.Null(TryOpen());
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private const string Identity = "https://sentry.invalid/api/42/envelope/|key";

    private DiskEnvelopeStore Open(int capacity = 100)
        => TryOpen(capacity) ?? throw new Xunit.Sdk.XunitException("The cache could not be opened.");

    private DiskEnvelopeStore? TryOpen(int capacity = 100)
    {
        var store = new DiskEnvelopeStore(_root, Identity, capacity, _counters, NullLogger.Instance);
        store.Open();
        if (store.IsOnDisk)
        {
            return store;
        }

        store.Dispose();
        return null;
    }

    private static PendingEnvelope Oldest(DiskEnvelopeStore store)
    {
        var oldest = new List<PendingEnvelope>();
        store.PeekOldest(oldest, 1);
        return Assert.Single(oldest);
    }

    private static List<string> CacheFiles(DiskEnvelopeStore store)
        => [.. Directory.EnumerateFiles(store.Directory, "*" + DiskEnvelopeStore.Extension)];

    private static PendingEnvelope Envelope(int index)
    {
        var id = SentryId.Create();
        return new(index, id, ["error"], QueueLane.Errors, room: null, Header(id), Items(index));
    }

    private static byte[] Header(SentryId id) => System.Text.Encoding.UTF8.GetBytes($"{{\"sdk\":{{\"name\":\"sentry.dotnet\",\"version\":\"6.12.1\"}},\"event_id\":\"{id}\"}}");

    private static byte[] Items(int index)
    {
        var payload = System.Text.Encoding.UTF8.GetBytes($"{{\"logentry\":{{\"message\":\"event {index}\"}}}}");
        return [.. System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"event\",\"length\":{payload.Length}}}\n"), .. payload, (byte)'\n'];
    }
}
