using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// Sentry's transport rules over real HTTP (the SDK's envelopes, the engine's own transport, the fault-injecting
/// <see cref="SentryTestServer"/>): what the engine accepts reaches the server exactly once, or is discarded and
/// counted, and every discard reaches the server in a client report. Times are asserted only as lower bounds (the
/// engine must wait at least so long); "after recovery" is a bounded wait, never a measured duration.
/// </summary>
public sealed class DeliveryFaultTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-fault-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Send_ConnectionRefusedThenListening_DeliversEveryEventExactlyOnceAfterRecovery()
    {
        var options = new SentryTestServerOptions { Port = LoopbackPort.Free(), PublicKey = new string('a', 32) };
        await using var harness = EngineHarness.ForDsn($"http://{options.PublicKey}@127.0.0.1:{options.Port}/{options.ProjectId}");
        var ids = Enumerable.Range(0, 20).Select(i => harness.Message($"while down {i}")).ToList();

        // Nothing listens (connection refused) until the engine has probed twice.
        await Wait.UntilAsync(() => harness.Counters.Retries >= 2, "two failed probes");
        await using var server = await SentryTestServer.StartAsync(options);
        await server.WaitForEventsAsync(20, s_bound);
        await harness.FlushAsync();

        Assert.Equal(ids.Select(id => id.ToString()).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Equal(20, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task Send_ServerErrors_DiscardEachEnvelopeThatMetOneNeverResendAndProbeAtGrowingIntervals(int status)
    {
        await using var server = await SentryTestServer.StartAsync();
        var failing = 1;
        server.Faults.Handler = _ => Volatile.Read(ref failing) == 1 ? FaultResponse.Status(status) : null;
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        var ids = Enumerable.Range(0, 10).Select(i => harness.Message($"through {status}s {i}")).ToList();
        var failed = await server.WaitForRequestsAsync(3, s_bound);
        Volatile.Write(ref failing, 0);
        await harness.FlushAsync();

        var requests = server.Requests;
        var discarded = requests.Count(r => r.StatusCode == status);
        Assert.Equal(3, discarded);
        Assert.True(failed[1].ReceivedAt - failed[0].ReceivedAt >= TimeSpan.FromSeconds(0.7), "The second request did not wait for the first retry delay.");
        Assert.True(failed[2].ReceivedAt - failed[1].ReceivedAt >= TimeSpan.FromSeconds(1.4), "The third request did not wait for the doubled delay.");
        var received = server.Events.Select(e => e.EventId).ToList();
        Assert.Equal(10 - discarded, received.Count);
        Assert.Equal(received.Count, received.Distinct().Count());
        Assert.All(received, id => Assert.Contains(id, ids.Select(i => i.ToString())));
        Assert.Equal(discarded, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Equal(0, harness.Counters.Retries);
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("send_error")) == discarded, s_bound);
        Assert.Equal(discarded, reports.Sum(r => r.Quantity("send_error", "error")));
    }

    [Fact]
    public async Task Send_RateLimitedWithRetryAfter_DiscardsThatEnvelopeRefusesReportsInsideTheWindowAndSendsNothingThere()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.RateLimited("2:error:organization", retryAfter: "2"));
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        var limited = harness.Message("meets the 429");
        await server.WaitForRequestsAsync(1, s_bound);
        await Wait.UntilAsync(() => harness.Engine.RateLimits.IsAnyActive(DateTimeOffset.UtcNow), "the rate limit");
        var refused = Enumerable.Range(0, 3).Select(i => harness.Message($"inside the window {i}")).ToList();
        await Wait.UntilAsync(() => !harness.Engine.RateLimits.IsAnyActive(DateTimeOffset.UtcNow), "the end of the rate limit");
        var after = harness.Message("after the window");
        await harness.FlushAsync();

        var requests = server.Requests;
        Assert.All(refused, id => Assert.Equal(SentryId.Empty, id));
        Assert.All(requests.Skip(1), r => Assert.True(r.ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(1.9), "A request came inside the rate limit's window."));
        Assert.Equal(after.ToString(), Assert.Single(server.Events).EventId);
        Assert.DoesNotContain(server.Events, e => e.EventId == limited.ToString());
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.RateLimited));
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("ratelimit_backoff")) == 3, s_bound);
        Assert.Equal(3, reports.Sum(r => r.Quantity("ratelimit_backoff", "error")));
        Assert.DoesNotContain(reports.SelectMany(r => r.DiscardedEvents), d => d.Reason == "rate_limited");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(413)]
    public async Task Send_ClientError_DropsThatEnvelopeCountsSendErrorLogsTheReasonAndLaterEventsFlow(int status)
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(status, "{\"detail\":\"envelope exceeded size limits\"}"));
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        harness.Message("rejected");
        var later = harness.Message("fine");
        await harness.FlushAsync();

        Assert.Equal(later.ToString(), Assert.Single(server.Events).EventId);
        Assert.Equal(2, server.Requests.Count(r => r.EventId is not null));
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Contains(harness.Logs.Messages, m => m.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) && m.Contains("envelope exceeded size limits", StringComparison.Ordinal));
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("send_error")) == 1, s_bound);
        Assert.Equal("error", reports.SelectMany(r => r.DiscardedEvents).Single(d => d.Reason == "send_error").Category);
    }

    [Fact]
    public async Task Send_ConnectionClosedAndServerHanging_SendsAgainAndDeliversOnce()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.CloseConnection(), FaultResponse.Hang(), FaultResponse.Ok().WithDelay(TimeSpan.FromMilliseconds(200)));
        await using var harness = EngineHarness.ForDsn(server.Dsn, o => o.SendTimeout = TimeSpan.FromSeconds(1));

        var id = harness.Message("persistent");
        await harness.FlushAsync();

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(id.ToString(), Assert.Single(server.Events).EventId);
        Assert.Equal(2, harness.Counters.Retries);
    }

    [Fact]
    public async Task FlushAsync_ServerUnreachable_ReturnsFalseAtItsTimeoutAndKeepsTheEnvelopeQueued()
    {
        await using var harness = EngineHarness.ForDsn($"http://{new string('b', 32)}@127.0.0.1:{LoopbackPort.Free()}/1");

        harness.Message("kept");
        await Wait.UntilAsync(() => harness.Counters.Retries >= 1, "a failed attempt");
        var flushed = await harness.Engine.FlushAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.False(flushed);
        Assert.Equal(1, harness.Engine.QueuedItems);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Fact]
    public async Task ClientReports_DiscardsOfEveryReasonOnTheCallersSide_ReachTheServerEachCountedOnce()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(
            FaultResponse.Ok().WithDelay(TimeSpan.FromSeconds(2)).WithHeader("X-Sentry-Rate-Limits", "60:transaction:organization"),
            FaultResponse.Status(400, "{\"detail\":\"bad envelope\"}"));
        await using var harness = EngineHarness.ForDsn(server.Dsn, o =>
        {
            o.MaxQueueItems = 2;
            o.SetBeforeSend(e => e.Message?.Message == "before-send drops it" ? null : e);
        });

        // 1 is sent (answered after 2 s, announcing a limit on transactions), 2 waits; 3 to 5 find no room.
        var ids = Enumerable.Range(1, 5).Select(i => harness.Message($"message {i}")).ToList();
        await server.WaitForEventsAsync(1, s_bound);

        // The server records the event just before it answers: the limit holds once the engine has read the answer.
        await Wait.UntilAsync(() => harness.Engine.RateLimits.IsAnyActive(DateTimeOffset.UtcNow), "the limit on transactions");
        harness.Client.CaptureTransaction(new SentryTransaction("limited", "test.op"));
        harness.Client.CaptureTransaction(new SentryTransaction("limited too", "test.op"));
        Assert.Equal(SentryId.Empty, harness.Message("before-send drops it"));
        await harness.FlushAsync();

        // 2 met the 400.
        Assert.Equal([SentryId.Empty, SentryId.Empty, SentryId.Empty], ids.Skip(2));
        Assert.Equal(ids[0].ToString(), Assert.Single(server.Events).EventId);
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("send_error")) == 1 && r.Sum(x => x.Quantity("before_send")) == 1, s_bound);
        var discards = reports.SelectMany(r => r.DiscardedEvents).GroupBy(d => (d.Reason, d.Category)).ToDictionary(g => g.Key, g => g.Sum(d => d.Quantity));
        Assert.Equal(3, discards[("queue_overflow", "error")]);
        Assert.Equal(2, discards[("ratelimit_backoff", "transaction")]);
        Assert.Equal(2, discards[("ratelimit_backoff", "span")]);
        Assert.Equal(1, discards[("send_error", "error")]);
        Assert.Equal(1, discards[("before_send", "error")]);
        Assert.Equal(5, discards.Count);
        foreach (var report in reports)
        {
            await Conformance.AssertValidAsync(report.Envelope.RawBytes);
        }
    }

    [Fact]
    public async Task ClientReports_CacheOverflowAndUnreadableCacheFiles_ReachTheServerOnceItListens()
    {
        var options = new SentryTestServerOptions { Port = LoopbackPort.Free(), PublicKey = new string('f', 32) };
        var dsn = $"http://{options.PublicKey}@127.0.0.1:{options.Port}/{options.ProjectId}";
        var folder = Path.Combine(_cache, "ErrorReporting", DiskEnvelopeStore.Hash(dsn));
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "0000000000000000001-corrupt" + DiskEnvelopeStore.Extension), "{\"event_id\":\"nope\"}\n");
        await using var harness = EngineHarness.ForDsn(dsn, o =>
        {
            o.CacheDirectoryPath = _cache;
            o.MaxCacheItems = 2;
        });

        var ids = Enumerable.Range(0, 5).Select(i => harness.Message($"while down {i}")).ToList();
        await Wait.UntilAsync(() => harness.Counters.Dropped(DiscardReason.CacheOverflow) == 3, "three evictions");
        await using var server = await SentryTestServer.StartAsync(options);
        await harness.FlushAsync();

        Assert.Equal(2, server.Events.Count);
        Assert.Subset(ids.Select(id => id.ToString()).ToHashSet(), server.Events.Select(e => e.EventId!).ToHashSet());
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("cache_overflow")) == 3, s_bound);
        Assert.Equal(3, reports.Sum(r => r.Quantity("cache_overflow", "error")));
        Assert.Equal(1, reports.Sum(r => r.Quantity("internal_sdk_error")));
    }

    [Fact]
    public async Task ClientReports_SdkDiscards_AreSentByReasonOnFlush()
    {
        await using var server = await SentryTestServer.StartAsync();
        await using var harness = EngineHarness.ForDsn(server.Dsn, o => o.SetBeforeSend(e => e.Message?.Message == "drop" ? null : e));

        harness.Message("drop");
        harness.Message("drop");
        await harness.FlushAsync();

        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("before_send")) == 2, s_bound);
        Assert.All(reports.SelectMany(r => r.DiscardedEvents), d => Assert.Equal("error", d.Category));
        await Conformance.AssertValidAsync(reports[0].Envelope.RawBytes);
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }
}
