using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// The fault table's "connection refused for 3 s, with cache" row (docs/delivery.md): an outage met with the offline
/// cache in one process. Reports made while nothing listens are written to the cache, kept through the failed
/// attempts, and delivered exactly once soon after the server listens; the cache is empty afterwards. "Soon" is a
/// bounded wait started at recovery, never a measured duration.
/// </summary>
public sealed class OfflineCacheOutageTests : IDisposable
{
    /// <summary>
    /// How long after the server listens the backlog must have arrived: the next probe (at most 4 s after the third
    /// failure), the backlog one envelope per 100 ms (6 s), and slack for a loaded machine.
    /// </summary>
    private static readonly TimeSpan s_recovery = TimeSpan.FromSeconds(30);

    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-outage-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Send_ConnectionRefusedWithCache_KeepsEveryEventOnDiskAndDeliversEachExactlyOnceAfterRecovery()
    {
        var later = new LaterServer(new string('e', 32));
        await using var harness = EngineHarness.ForDsn(later.Dsn, o => o.CacheDirectoryPath = _cache);
        var ids = Enumerable.Range(0, 50).Select(i => harness.Message($"while refused {i}")).ToList();

        // Nothing listens (connection refused) until the engine has failed three times (about 1 + 2 s of probing, the
        // state a 3 s outage leaves it in). Every report is on disk by then.
        Assert.DoesNotContain(SentryId.Empty, ids);
        await Wait.UntilAsync(() => harness.Counters.Retries >= 3 && OfflineCache.Files(_cache).Count == 50, "three failed attempts, 50 files in the cache");

        await using var server = await later.StartAsync();
        ids.AddRange(Enumerable.Range(0, 10).Select(i => harness.Message($"after recovery {i}")));
        await server.WaitForEventsAsync(60, s_recovery);
        await harness.FlushAsync();

        Assert.Equal(ids.Select(id => id.ToString()).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Equal(60, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.DroppedTotal);
        Assert.Equal(0, harness.Engine.QueuedItems);
        Assert.Empty(OfflineCache.Files(_cache));
        Assert.Empty(server.Rejections);
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }
}
