using System.Runtime.Versioning;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// The offline cache folder as a place where anything can happen, end to end (the SDK, the engine, its HTTP transport,
/// <see cref="SentryTestServer"/>): what an earlier process left is delivered exactly once, whatever else is in the
/// folder; what is not an envelope is removed or set aside and counted; a later start sends nothing again.
/// </summary>
public sealed class OfflineCacheFolderTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-folder-tests", Guid.NewGuid().ToString("N"));
    private readonly LaterServer _server = new(new string('9', 32));

    private string Dsn => _server.Dsn;

    private string Folder => OfflineCache.Folder(_cache, Dsn);

    [Fact]
    public async Task Start_EveryKindOfCraftedFileInTheCache_RemovesEachCountsItAndDeliversTheRestExactlyOnce()
    {
        string[] kinds = [.. CraftedCacheFiles.ContentKinds, .. CraftedCacheFiles.ForeignKinds];
        var left = await OfflineCache.LeaveAsync(Dsn, _cache, 3);
        var outside = Path.Combine(_cache, "outside.txt");
        await File.WriteAllTextAsync(outside, "outside");
        foreach (var kind in kinds)
        {
            CraftedCacheFiles.MakeEntry(Folder, kind, outside);
        }

        Directory.CreateDirectory(Path.Combine(Folder, "subfolder"));
        await using var server = await _server.StartAsync();
        await using (var harness = Start())
        {
            await harness.Pipeline.Started.WaitAsync(EngineHarness.Timeout);
            var id = harness.Message("after the start");
            await harness.FlushAsync();

            Assert.True(harness.Pipeline.Store is DiskEnvelopeStore { IsOnDisk: true }, "The cache is not in use.");
            Assert.Equal(left.Append(id.ToString()).Order(), server.Events.Select(e => e.EventId!).Order());
            Assert.Equal(3, harness.Counters.Restored);
            Assert.Equal(kinds.Length, harness.Counters.Dropped(DiscardReason.InternalSdkError));
            // One warning of the cache for all of them, and the engine's notice of drops.
            Assert.Collection(
                harness.Logs.Messages.Where(m => m.StartsWith("Warning:", StringComparison.Ordinal)),
                w => Assert.Contains($"{kinds.Length} file(s) in the offline cache", w, StringComparison.Ordinal),
                w => Assert.Contains($"{kinds.Length} envelope(s) dropped since the last notice (internal_sdk_error)", w, StringComparison.Ordinal));
            Assert.DoesNotContain(harness.Logs.Messages, m => m.Contains("another process", StringComparison.Ordinal));
            var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("internal_sdk_error")) == kinds.Length, s_bound);
            Assert.Equal(kinds.Length, reports.Sum(r => r.Quantity("internal_sdk_error", "default")));

            // Once: a further flush sends no count again.
            await harness.FlushAsync();
            Assert.Equal(kinds.Length, server.ClientReports.Sum(r => r.Quantity("internal_sdk_error")));
        }

        Assert.Equal(["subfolder"], Directory.EnumerateFileSystemEntries(Folder).Select(e => Path.GetFileName(e)).Where(n => n != DiskEnvelopeStore.LockFileName));
        Assert.Equal("outside", await File.ReadAllTextAsync(outside));
        await AssertNextStartSendsNothingAsync(server);
    }

    [Theory]
    [MemberData(nameof(CraftedCacheFiles.EveryLockEntry), MemberType = typeof(CraftedCacheFiles))]
    public async Task Start_CraftedLockEntry_UsesTheCacheBlamesNoOtherProcessAndDeliversWhatWasLeftOnce(string kind)
    {
        var left = await OfflineCache.LeaveAsync(Dsn, _cache, 2);
        var outside = Path.Combine(_cache, "outside.txt");
        await File.WriteAllTextAsync(outside, "outside");
        CraftedCacheFiles.MakeLockEntry(Path.Combine(Folder, DiskEnvelopeStore.LockFileName), kind, outside);

        await using var server = await _server.StartAsync();
        await using (var harness = Start())
        {
            await harness.FlushAsync();

            Assert.True(harness.Pipeline.Store is DiskEnvelopeStore { IsOnDisk: true }, "The cache is not in use.");
            Assert.Equal(left, server.Events.Select(e => e.EventId!).Order());
            Assert.DoesNotContain(harness.Logs.Messages, m => m.Contains("another process", StringComparison.Ordinal));
        }

        Assert.Equal("outside", await File.ReadAllTextAsync(outside));
        Assert.False(File.Exists(CraftedCacheFiles.DanglingTarget(outside)));
        await AssertNextStartSendsNothingAsync(server);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Start_CacheFoldersMadeBeforeWithLoosePermissions_TightensThemToOwnerOnlyAndDelivers()
    {
        Directory.CreateDirectory(Folder);
        foreach (var folder in new[] { Path.GetDirectoryName(Folder)!, Folder })
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        }

        await using var server = await _server.StartAsync();
        await using var harness = Start();
        var id = harness.Message("in a tightened folder");
        await harness.FlushAsync();

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.GetDirectoryName(Folder)!));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Folder));
        Assert.Equal(2, harness.Logs.Messages.Count(m => m.Contains("it was made owner-only", StringComparison.Ordinal)));
        Assert.Equal(id.ToString(), Assert.Single(server.Events).EventId);
    }

    [Fact]
    public async Task Start_MoreLeftInTheCacheThanMaxCacheItems_EvictsTransactionsFirstCountsCacheOverflowAndDeliversTheRestOnce()
    {
        List<string> errors = [];
        await using (var earlier = Start())
        {
            foreach (var i in Enumerable.Range(0, 3))
            {
                earlier.Client.CaptureTransaction(new SentryTransaction($"transaction {i}", "test.op"));
                errors.Add(earlier.Message($"error {i}").ToString());
            }

            await Wait.UntilAsync(() => OfflineCache.Files(_cache).Count == 6, "six envelopes in the cache");
        }

        await using var server = await _server.StartAsync();
        await using var harness = Start(o => o.MaxCacheItems = 2);
        await harness.FlushAsync();

        // Three transactions go first; then the oldest error is the fourth evicted.
        Assert.Equal(errors.Skip(1).Order(), server.Events.Select(e => e.EventId!).Order());
        Assert.DoesNotContain(server.Envelopes, e => e.Items.Any(i => i.Type == "transaction"));
        Assert.Equal(4, harness.Counters.Dropped(DiscardReason.CacheOverflow));
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("cache_overflow", "transaction") + x.Quantity("cache_overflow", "error")) == 4, s_bound);
        Assert.Equal(3, reports.Sum(r => r.Quantity("cache_overflow", "transaction")));
        Assert.Equal(3, reports.Sum(r => r.Quantity("cache_overflow", "span")));
        Assert.Equal(1, reports.Sum(r => r.Quantity("cache_overflow", "error")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private EngineHarness Start(Action<ErrorReportingOptions>? configure = null) => EngineHarness.ForDsn(Dsn, o =>
    {
        o.CacheDirectoryPath = _cache;
        configure?.Invoke(o);
    });

    /// <summary>Starts again on the same folder: nothing is left to send, and nothing is sent.</summary>
    private async Task AssertNextStartSendsNothingAsync(SentryTestServer server)
    {
        var events = server.Events.Count;
        await using var next = Start();
        await next.FlushAsync();

        Assert.Equal(0, next.Counters.Restored);
        Assert.Equal(0, next.Counters.DroppedTotal);
        Assert.Equal(events, server.Events.Count);
        Assert.Empty(OfflineCache.Files(_cache));
    }
}
