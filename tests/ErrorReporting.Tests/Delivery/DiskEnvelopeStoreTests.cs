using System.Runtime.Versioning;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ErrorReporting.Tests.Delivery;

public sealed class DiskEnvelopeStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "errorreporting-tests", Guid.NewGuid().ToString("N"));
    private readonly DeliveryCounters _counters = new(TimeProvider.System);
    private readonly ListLoggerProvider _logs = new();
    private readonly ILogger _logger;

    public DiskEnvelopeStoreTests() => _logger = _logs.CreateLogger("ErrorReporting");

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
    [MemberData(nameof(CraftedCacheFiles.EveryEntry), MemberType = typeof(CraftedCacheFiles))]
    public async Task Open_CraftedOrForeignEntry_IsRemovedCountedAndTheRestRestored(string kind)
    {
        var ids = Seed(2);
        var outside = OutsideFile();
        var entry = CraftedCacheFiles.MakeEntry(Folder, kind, outside);

        using var store = Open(logger: _logger);

        Assert.True(store.IsOnDisk);
        Assert.Equal(ids, Drain(store));
        Assert.False(EntryExists(entry));
        Assert.Equal(OutsideContents, await File.ReadAllTextAsync(outside));
        Assert.Equal(1, _counters.Dropped(DiscardReason.InternalSdkError));
        Assert.Equal(2, _counters.Restored);
        Assert.Single(Warnings());
        Assert.DoesNotContain(_logs.Messages, m => m.Contains("another process", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_Subfolders_AreLeftAloneAndNotCounted()
    {
        var ids = Seed(1);
        var subfolders = new[] { Path.Combine(Folder, "sub"), Path.Combine(Folder, "0000000000000000001-folder" + DiskEnvelopeStore.Extension) };
        foreach (var subfolder in subfolders)
        {
            Directory.CreateDirectory(subfolder);
            await File.WriteAllTextAsync(Path.Combine(subfolder, "kept.envelope"), "not read");
        }

        using var store = Open(logger: _logger);

        Assert.Equal(ids, Drain(store));
        Assert.All(subfolders, s => Assert.True(File.Exists(Path.Combine(s, "kept.envelope"))));
        Assert.Equal(0, _counters.DroppedTotal);
        Assert.Empty(Warnings());
    }

    [Theory]
    [MemberData(nameof(CraftedCacheFiles.EveryLockEntry), MemberType = typeof(CraftedCacheFiles))]
    public async Task Open_CraftedLockEntry_UsesTheCacheTouchesNothingOutsideAndBlamesNoOtherProcess(string kind)
    {
        var ids = Seed(2);
        var outside = OutsideFile();
        CraftedCacheFiles.MakeLockEntry(Path.Combine(Folder, DiskEnvelopeStore.LockFileName), kind, outside);

        using var store = Open(logger: _logger);

        Assert.True(store.IsOnDisk);
        Assert.Equal(ids, Drain(store));
        Assert.Equal(OutsideContents, await File.ReadAllTextAsync(outside));
        Assert.False(EntryExists(CraftedCacheFiles.DanglingTarget(outside)));
        Assert.DoesNotContain(_logs.Messages, m => m.Contains("another process", StringComparison.Ordinal));
        Assert.Null(TryOpen());
    }

    [Theory]
    [InlineData("symlink-to-a-file-outside")]
    [InlineData("directory")]
    public async Task Open_WriteProbeNameOfThisProcessTaken_UsesTheCacheAndTouchesNothingOutside(string kind)
    {
        // The write probe of an earlier version was .write-test-{process id}.tmp: in a container the process id is the
        // same at every start, so a crafted entry of that name decided every start.
        var ids = Seed(1);
        var outside = OutsideFile();
        var probe = Path.Combine(Folder, $".write-test-{Environment.ProcessId}{DiskEnvelopeStore.TemporaryExtension}");
        if (kind == "directory")
        {
            Directory.CreateDirectory(probe);
        }
        else
        {
            File.CreateSymbolicLink(probe, outside);
        }

        using var store = Open(logger: _logger);

        Assert.True(store.IsOnDisk);
        Assert.Equal(ids, Drain(store));
        Assert.Equal(OutsideContents, await File.ReadAllTextAsync(outside));
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
    public void Add_BeyondCapacity_NeverEvictsTheEnvelopeBeingSentUntilItIsReleased()
    {
        using var store = Open(capacity: 2);
        store.Add(Envelope(0));
        var inFlight = Oldest(store);
        Assert.True(store.TryClaim(inFlight));

        store.Add(Envelope(1));
        store.Add(Envelope(2));
        var keptWhileClaimed = Oldest(store);
        store.Release(inFlight);
        store.Add(Envelope(3));

        Assert.Same(inFlight, keptWhileClaimed);
        Assert.NotSame(inFlight, Oldest(store));
        Assert.Equal(2, store.Count);
        Assert.Equal(2, _counters.Dropped(DiscardReason.CacheOverflow));
    }

    [Fact]
    public void TryClaim_EnvelopeEvictedAfterThePeek_FalseSoItIsNeitherSentNorCountedTwice()
    {
        using var store = Open(capacity: 1);
        store.Add(Envelope(0));
        var peeked = Oldest(store);

        store.Add(Envelope(1));
        var claimed = store.TryClaim(peeked);
        store.Remove(peeked);

        Assert.False(claimed);
        Assert.Equal(1, store.Count);
        Assert.Equal(1, _counters.Dropped(DiscardReason.CacheOverflow));
    }

    [Fact]
    public void Add_BeyondCapacity_EvictsTheOldestBulkEnvelopesBeforeAnyError()
    {
        using var store = Open(capacity: 3);
        var added = new[] { Envelope(0), Transaction(1), Envelope(2), Transaction(3), Envelope(4), Envelope(5) };

        foreach (var envelope in added)
        {
            store.Add(envelope);
        }

        // 3 evicts transaction 1, 4 evicts transaction 3, 5 (no bulk left) evicts the oldest error, 0.
        Assert.Equal([added[2].EventId, added[4].EventId, added[5].EventId], Drain(store));
        Assert.Equal(3, _counters.Dropped(DiscardReason.CacheOverflow));
    }

    [Fact]
    public void Open_MoreFilesThanCapacity_EvictsTheOldestBulkEnvelopesFirstAndCountsCacheOverflow()
    {
        using (var first = Open(capacity: 10))
        {
            foreach (var envelope in new[] { Envelope(0), Transaction(1), Envelope(2), Transaction(3), Envelope(4) })
            {
                first.Add(envelope);
            }
        }

        var kept = FileIds();
        using var second = Open(capacity: 2);

        Assert.Equal([kept[2], kept[4]], Drain(second));
        Assert.Equal(3, _counters.Dropped(DiscardReason.CacheOverflow));
        Assert.Equal(5, _counters.Restored);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Open_FoldersMadeBeforeWithLoosePermissions_TightensThemToOwnerOnly()
    {
        Directory.CreateDirectory(Folder);
        File.SetUnixFileMode(_root, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(Folder, (UnixFileMode)0b111_111_111);

        using var store = Open(logger: _logger);

        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(_root));
        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(Folder));
        Assert.Equal(2, _logs.Messages.Count(m => m.Contains("it was made owner-only", StringComparison.Ordinal)));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Open_ReadOnlyFolderOthersCanRead_TakesTheirAccessAwayWithoutGrantingWrite()
    {
        Directory.CreateDirectory(Folder);
        File.SetUnixFileMode(Folder, (UnixFileMode)0b101_101_101);

        using var store = new DiskEnvelopeStore(_root, Identity, 100, _counters, NullLogger.Instance);
        store.Open();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserExecute, File.GetUnixFileMode(Folder));
    }

    [Fact]
    public void Add_FolderGoneAfterOpen_KeepsEveryEnvelopeInMemoryCountsItNotCachedAndWarnsOnce()
    {
        using var store = Open(logger: _logger);
        store.Add(Envelope(0));
        Directory.Delete(Folder, recursive: true);
        File.WriteAllText(Folder, "a file where the folder was: nothing can be created in it, not even by root");

        var failed = Enumerable.Range(1, 20).Select(Envelope).ToList();
        foreach (var envelope in failed)
        {
            store.Add(envelope);
        }

        Assert.Equal(20, _counters.NotCached);
        Assert.Equal(21, store.Count);
        Assert.Single(Warnings());
        var waiting = new List<PendingEnvelope>();
        store.PeekOldest(waiting, 21);
        Assert.Equal(failed.Select(e => e.EventId), waiting.Skip(1).Select(e => e.EventId));
        Assert.All(waiting.Skip(1), (e, i) => Assert.Equal(Items(i + 1), e.Items.ToArray()));

        File.Delete(Folder);
        Directory.CreateDirectory(Folder);
        store.Add(Envelope(21));

        Assert.Single(CacheFiles(store));
        Assert.Contains(_logs.Messages, m => m.Contains("can be written again; 20 envelope(s)", StringComparison.Ordinal));
        Assert.Single(Warnings());
        foreach (var envelope in waiting)
        {
            store.Remove(envelope);
        }

        Assert.Equal(1, store.Count);
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
    public void Open_SecondStoreOnSameFolder_IsRefusedAndSaysAnotherProcessHoldsIt()
    {
        using var first = Open();

        Assert.Null(TryOpen(logger: _logger));
        Assert.Contains(_logs.Messages, m => m.Contains("is held by another process", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (File.Exists(Folder))
        {
            File.Delete(Folder);
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private const string Identity = "https://sentry.invalid/api/42/envelope/|key";
    private const string OutsideContents = "a file outside the cache";
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Gets the cache folder of <see cref="Identity"/>.</summary>
    private string Folder => Path.Combine(_root, DiskEnvelopeStore.Hash(Identity));

    private DiskEnvelopeStore Open(int capacity = 100, ILogger? logger = null)
        => TryOpen(capacity, logger) ?? throw new Xunit.Sdk.XunitException("The cache could not be opened.");

    private DiskEnvelopeStore? TryOpen(int capacity = 100, ILogger? logger = null)
    {
        var store = new DiskEnvelopeStore(_root, Identity, capacity, _counters, logger ?? NullLogger.Instance);
        store.Open();
        if (store.IsOnDisk)
        {
            return store;
        }

        store.Dispose();
        return null;
    }

    /// <summary>Leaves <paramref name="count"/> envelopes in the cache, as an earlier process would; returns their ids.</summary>
    private List<SentryId> Seed(int count)
    {
        var ids = new List<SentryId>();
        using var earlier = new DiskEnvelopeStore(_root, Identity, 100, new DeliveryCounters(TimeProvider.System), NullLogger.Instance);
        earlier.Open();
        for (var i = 0; i < count; i++)
        {
            var envelope = Envelope(i);
            ids.Add(envelope.EventId);
            earlier.Add(envelope);
        }

        return ids;
    }

    /// <summary>Reads and removes every waiting envelope, oldest first (each read in full), and returns their ids.</summary>
    private static List<SentryId> Drain(DiskEnvelopeStore store)
    {
        var ids = new List<SentryId>();
        while (store.Count > 0)
        {
            var envelope = Oldest(store);
            Assert.NotEqual(0, envelope.Items.Length);
            ids.Add(envelope.EventId);
            store.Remove(envelope);
        }

        return ids;
    }

    private List<SentryId> FileIds()
        => [.. Directory.EnumerateFiles(Folder, "*" + DiskEnvelopeStore.Extension).Order(StringComparer.Ordinal)
            .Select(f => SentryId.Parse(Path.GetFileNameWithoutExtension(f)[^32..]))];

    /// <summary>Gets a value indicating whether a folder lists an entry (a dangling link included, which <see cref="File.Exists"/> does not see).</summary>
    private static bool EntryExists(string path)
        => Directory.Exists(Path.GetDirectoryName(path)) && Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(path)!).Contains(path);

    private List<string> Warnings() => [.. _logs.Messages.Where(m => m.StartsWith("Warning:", StringComparison.Ordinal))];

    private string OutsideFile()
    {
        var path = Path.Combine(_root, "outside", "file.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, OutsideContents);
        return path;
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

    private static PendingEnvelope Transaction(int index)
    {
        var id = SentryId.Create();
        var payload = System.Text.Encoding.UTF8.GetBytes($"{{\"transaction\":\"t{index}\"}}");
        byte[] items = [.. System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"transaction\",\"length\":{payload.Length}}}\n"), .. payload, (byte)'\n'];
        return new(index, id, ["transaction"], QueueLane.Bulk, room: null, Header(id), items);
    }

    private static byte[] Header(SentryId id) => System.Text.Encoding.UTF8.GetBytes($"{{\"sdk\":{{\"name\":\"sentry.dotnet\",\"version\":\"6.12.1\"}},\"event_id\":\"{id}\"}}");

    private static byte[] Items(int index)
    {
        var payload = System.Text.Encoding.UTF8.GetBytes($"{{\"logentry\":{{\"message\":\"event {index}\"}}}}");
        return [.. System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"event\",\"length\":{payload.Length}}}\n"), .. payload, (byte)'\n'];
    }
}
