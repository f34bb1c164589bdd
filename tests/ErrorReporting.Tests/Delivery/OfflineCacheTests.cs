using ErrorReporting.Delivery.Sending;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// The offline cache across real processes: a process killed with SIGKILL loses nothing it had persisted, and the
/// next process with the same cache directory delivers it (what it restores is sent one envelope at a time, 100 ms
/// apart: 200 envelopes take 20 s).
/// </summary>
public sealed class OfflineCacheTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(90);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-cache-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Kill_WhileServerDown_NextProcessDeliversAllTwoHundredExactlyOnce()
    {
        var port = LoopbackPort.Free();
        var publicKey = new string('c', 32);
        var dsn = $"http://{publicKey}@127.0.0.1:{port}/42";

        List<string> ids;
        using (var first = ChildProcess.Start("report-many", Environment(dsn), "200"))
        {
            await first.WaitReadyAsync(s_bound);
            await Wait.UntilAsync(() => CacheFiles().Count == 200, "200 envelopes in the cache", s_bound);
            first.Kill();
            ids = [.. first.ReportedIds];
        }

        Assert.Equal(200, ids.Count);
        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { Port = port, PublicKey = publicKey });
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
            await Wait.UntilAsync(() => first.Output.Contains("reported") && server.Events.Count >= 20, "delivery under way", s_bound);
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
        Assert.True(duplicates <= SendSchedule.MaxInFlight, $"{duplicates} envelopes were sent twice; only those in flight ({SendSchedule.MaxInFlight} at most) can be between their 2xx and their file's deletion.");
        Assert.True(deliveredBeforeKill < 200, "Everything was delivered before the kill; the test proves nothing.");
        Assert.Empty(CacheFiles());
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    private Dictionary<string, string?> Environment(string dsn) => new()
    {
        ["SENTRY_DSN"] = dsn,
        ["Sentry__CacheDirectoryPath"] = _cache,
        ["Sentry__ShutdownTimeout"] = "00:00:00",
    };

    private List<string> CacheFiles()
        => Directory.Exists(_cache) ? [.. Directory.EnumerateFiles(_cache, "*" + DiskEnvelopeStore.Extension, SearchOption.AllDirectories)] : [];
}
