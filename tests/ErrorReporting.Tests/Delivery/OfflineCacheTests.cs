using System.Runtime.Versioning;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// The offline cache across real processes: a process killed with SIGKILL loses nothing it had persisted, and the
/// next process with the same cache directory delivers it (what it restores is sent one envelope at a time, 100 ms
/// apart: 200 envelopes take 20 s). A folder the process cannot write and a disk it cannot fill are the operating
/// system's own refusals (<see cref="ChildConfinement"/>), met by a real child process.
/// </summary>
public sealed class OfflineCacheTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(90);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-cache-tests", Guid.NewGuid().ToString("N"));

    /// <summary>What a confined child needs of its own (a copy of the app, a home), beside the cache.</summary>
    private readonly string _child = Path.Combine(Path.GetTempPath(), "errorreporting-cache-tests", Guid.NewGuid().ToString("N") + "-child");

    [Fact]
    public async Task Kill_WhileServerDown_NextProcessDeliversAllTwoHundredExactlyOnce()
    {
        var later = new LaterServer(new string('c', 32));
        var dsn = later.Dsn;

        List<string> ids;
        using (var first = ChildProcess.Start("report-many", Environment(dsn), "200"))
        {
            await first.WaitReadyAsync(s_bound);
            await Wait.UntilAsync(() => CacheFiles().Count == 200, "200 envelopes in the cache", s_bound);
            first.Kill();
            ids = [.. first.ReportedIds];
        }

        Assert.Equal(200, ids.Count);
        await using var server = await later.StartAsync();
        using var second = ChildProcess.Start("deliver-cache", Environment(dsn));
        await second.WaitForExitAsync(s_bound);

        Assert.Contains("flushed:True", second.Output);
        Assert.Equal(ids.Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Empty(CacheFiles());
        Assert.Empty(server.Rejections);
    }

    [Fact]
    public async Task Kill_DuringDelivery_NothingLostAndAtMostTheSendsInFlightSentTwice()
    {
        var publicKey = new string('d', 32);
        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { PublicKey = publicKey });
        server.Faults.Handler = _ => FaultResponse.Ok().WithDelay(TimeSpan.FromMilliseconds(20));

        List<string> ids;
        using (var first = ChildProcess.Start("report-many", Environment(server.Dsn), "200"))
        {
            await first.WaitReadyAsync(s_bound);
            await Wait.UntilAsync(() => first.Output.Contains("reported"), "every report made", s_bound);
            await server.WaitForEventsAsync(20, s_bound);
            first.Kill();
            ids = [.. first.ReportedIds];
        }

        var deliveredBeforeKill = server.Events.Count;
        server.Faults.Handler = null;
        using var second = ChildProcess.Start("deliver-cache", Environment(server.Dsn));
        await second.WaitForExitAsync(s_bound);

        var received = server.Events.Select(e => e.EventId!).ToList();
        Assert.Equal(ids.Order(), received.Distinct().Order());
        var duplicates = received.Count - received.Distinct().Count();
        Assert.True(duplicates <= 4, $"{duplicates} envelopes were sent twice; only those in flight (4 at most) can be between their 2xx and their file's deletion.");
        Assert.True(deliveredBeforeKill < 200, "Everything was delivered before the kill; the test proves nothing.");
        Assert.Empty(CacheFiles());
    }

    /// <summary>
    /// The case, tried as a new user would, through the public API in a real process: one crafted file in the
    /// cache (an item length that is a JSON string, which used to end the engine's start) neither makes the engine give up
    /// its cache nor is blamed on another process; the rest is delivered exactly once at the first start, and the
    /// second start finds nothing to send.
    /// </summary>
    [Fact]
    public async Task Start_OneCraftedFileInTheCache_DeliversTheRestOnceCountsItAndKeepsUsingTheCacheAtEveryStart()
    {
        var later = new LaterServer(new string('5', 32));
        var dsn = later.Dsn;
        var left = await OfflineCache.LeaveAsync(dsn, _cache, 3);
        CraftedCacheFiles.Write(Path.Combine(OfflineCache.Folder(_cache, dsn), "0000000000000000001-crafted" + DiskEnvelopeStore.Extension), "length-string");
        await using var server = await later.StartAsync();

        var reported = new List<string>();
        foreach (var (restored, removed) in new[] { (3, 1), (0, 0) })
        {
            using var child = ChildProcess.Start("report-and-flush", Environment(dsn), "1", "--log");
            await child.WaitForExitAsync(s_bound);

            AssertFlushed(child);
            Assert.Contains($"meter:errorreporting.envelopes.restored={restored}", child.Output);
            Assert.Contains($"meter:errorreporting.envelopes.dropped:internal_sdk_error={removed}", child.Output);
            Assert.DoesNotContain(child.Output, l => l.Contains("another process", StringComparison.Ordinal) || l.Contains("in memory", StringComparison.Ordinal));
            reported.AddRange(child.ReportedIds);
        }

        Assert.Equal(left.Concat(reported).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Empty(CacheFiles());
    }

    /// <summary>
    /// A cache folder that can be read but not written (mode 0500, its owner the child's user): its envelopes could be
    /// sent but never deleted, so every start would send them again. None of them is sent, at the first start or the
    /// second, each start says how many are left unsent, and new reports are delivered from memory. Permission bits
    /// bind the child (<see cref="ChildConfinement.AsUnprivilegedUser"/>: as root, it runs as nobody).
    /// </summary>
    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Start_CacheFolderReadableNotWritable_SendsNoneOfItsEnvelopesAtAnyStartAndDeliversNewReportsFromMemory()
    {
        var later = new LaterServer(new string('6', 32));
        var dsn = later.Dsn;
        var left = await OfflineCache.LeaveAsync(dsn, _cache, 3);
        var files = CacheFiles().Order().ToList();
        var confinement = ChildConfinement.AsUnprivilegedUser(_child);
        confinement.GiveToChild(_cache);
        File.SetUnixFileMode(OfflineCache.Folder(_cache, dsn), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        await using var server = await later.StartAsync();

        var reported = new List<string>();
        for (var start = 0; start < 2; start++)
        {
            using var child = ChildProcess.Start("report-and-flush", Environment(dsn), confinement, "2", "--log");
            await child.WaitForExitAsync(s_bound);

            AssertFlushed(child);
            Assert.Single(child.Output, l => l.StartsWith("log:Warning:", StringComparison.Ordinal)
                && l.Contains("cannot be written", StringComparison.Ordinal) && l.Contains("The 3 envelope(s) in it are left unsent", StringComparison.Ordinal));
            Assert.Contains("meter:errorreporting.envelopes.restored=0", child.Output);
            reported.AddRange(child.ReportedIds);
        }

        Assert.Equal(4, reported.Count);
        Assert.Equal(reported.Order(), server.Events.Select(e => e.EventId).Order());
        Assert.DoesNotContain(server.Events, e => left.Contains(e.EventId!));
        Assert.Equal(files, CacheFiles().Order());
    }

    /// <summary>
    /// A disk that fills up: no file of the child can grow beyond 1 KiB (<see cref="ChildConfinement.WithFileSizeLimit"/>),
    /// so every envelope (a 4 KiB message) fails part-way through its write, as on a full disk. Faithful where it
    /// matters: the kernel refuses the write, a partial temporary file is left behind by the failed write, and the
    /// process goes on; only the error differs (EFBIG, which .NET throws as ArgumentOutOfRangeException, where a full
    /// disk gives ENOSPC, an IOException). No test fills a disk: the store's handling of an IOException on a write is met
    /// by DiskEnvelopeStoreTests with a folder replaced by a file (the file cannot even be created there), not by
    /// ENOSPC part-way through. No temporary file is left, every report is delivered once from memory, each is counted
    /// not_cached, and one warning says so.
    /// </summary>
    [Fact]
    public async Task Report_EveryCacheWriteFailsPartWay_DeliversEachReportOnceLeavesNoTemporaryFileCountsNotCachedAndWarnsOnce()
    {
        await using var server = await SentryTestServer.StartAsync();
        var confinement = ChildConfinement.WithFileSizeLimit(_child, kib: 1);

        using var child = ChildProcess.Start("report-and-flush", Environment(server.Dsn), confinement, "20", "4096", "--log");
        await child.WaitForExitAsync(s_bound);

        AssertFlushed(child);
        Assert.Equal(20, child.ReportedIds.Count);
        Assert.Equal(child.ReportedIds.Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Contains("meter:errorreporting.envelopes.not_cached=20", child.Output);
        Assert.Contains(child.Output, l => l.StartsWith("meter:errorreporting.envelopes.dropped:", StringComparison.Ordinal));
        Assert.DoesNotContain(child.Output, l => l.StartsWith("meter:errorreporting.envelopes.dropped:", StringComparison.Ordinal) && !l.EndsWith("=0", StringComparison.Ordinal));
        var warning = Assert.Single(child.Output, l => l.StartsWith("log:Warning:", StringComparison.Ordinal));
        Assert.Contains("Writing to the offline cache", warning, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_cache, "*" + DiskEnvelopeStore.TemporaryExtension, SearchOption.AllDirectories));
        Assert.Empty(CacheFiles());
    }

    public void Dispose()
    {
        foreach (var folder in new[] { _cache, _child })
        {
            if (Directory.Exists(folder))
            {
                if (!OperatingSystem.IsWindows())
                {
                    // A test made a folder read-only: its owner (the test's user, unless root gave it away) may write again.
                    foreach (var inner in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories))
                    {
                        File.SetUnixFileMode(inner, File.GetUnixFileMode(inner) | UnixFileMode.UserWrite);
                    }
                }

                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private Dictionary<string, string?> Environment(string dsn) => new()
    {
        ["SENTRY_DSN"] = dsn,
        ["Sentry__CacheDirectoryPath"] = _cache,
        ["Sentry__ShutdownTimeout"] = "00:00:00",
    };

    /// <summary>Asserts the child flushed; otherwise shows all it wrote (a confined child that could not start says why on standard error).</summary>
    private static void AssertFlushed(ChildProcess child)
        => Assert.True(child.Output.Contains("flushed:True"), $"The child did not flush (exit code {child.ExitCode}):\n{string.Join('\n', child.Output)}\n{child.ErrorOutput}");

    private List<string> CacheFiles() => OfflineCache.Files(_cache);
}
