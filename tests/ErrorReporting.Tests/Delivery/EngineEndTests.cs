using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ErrorReporting.Tests.Delivery;

/// <summary>The end of delivery: when a flush is done (everything reported before it delivered or definitively dropped), and what a stop leaves.</summary>
public sealed class EngineEndTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "er-flush-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task FlushAsync_EverythingBeforeItEvictedFromTheCacheDuringAnOutage_ReturnsTrue()
    {
        await using var harness = EngineHarness.Create(
            _ => TransportResponse.Failed(new HttpRequestException("Connection refused")),
            o =>
            {
                o.CacheDirectoryPath = _cache;
                o.MaxCacheItems = 1;
            },
            new FakeTimeProvider(DateTimeOffset.UtcNow));

        harness.Message("reported before the flush, then evicted");
        await harness.WaitForAttemptsAsync(1);
        await Wait.UntilAsync(() => harness.Pipeline.Schedule.Failures == 1, "the first probe failed");
        // The flush's own marker (FlushAsync then waits for the client report of the eviction, which an outage holds).
        var marker = new FlushMarker();
        Assert.True(harness.Pipeline.Queue.TryEnqueue(marker));
        harness.Message("reported after the flush: makes the cache evict the older one");
        var flushed = await marker.Done.WaitAsync(EngineHarness.Timeout);

        Assert.True(flushed);
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.CacheOverflow));
        Assert.Single(harness.Transport.Attempts);
    }

    [Theory]
    [InlineData(true, "2 kept in the offline cache for the next start, 0 lost")]
    [InlineData(false, "0 kept in the offline cache for the next start, 2 lost")]
    public async Task Dispose_EnvelopesWaitingThroughAnOutage_LogsHowManyTheCacheKeepsAndHowManyAreLost(bool cache, string expected)
    {
        var harness = EngineHarness.Create(
            _ => TransportResponse.Failed(new HttpRequestException("Connection refused")),
            o => o.CacheDirectoryPath = cache ? _cache : null,
            new FakeTimeProvider(DateTimeOffset.UtcNow));
        await using (harness)
        {
            harness.Message("first");
            harness.Message("second");
            await Wait.UntilAsync(() => harness.Pipeline.Store.Count == 2 && harness.Pipeline.Schedule.Failures == 1, "both waiting after a failed probe");
            harness.Engine.Dispose();
        }

        Assert.Contains(harness.Logs.Messages, m => m.Contains("2 envelope(s) were not delivered when the delivery engine stopped: " + expected, StringComparison.Ordinal));
        Assert.Equal(cache ? 2 : 0, OfflineCache.Files(_cache).Count);
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }
}
