using ErrorReporting.Diagnostics;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// Delivery against a misbehaving server over real HTTP (the SDK's envelopes, the engine's own transport, the
/// fault-injecting <see cref="SentryTestServer"/>): what the engine accepts reaches the server exactly once, or is
/// dropped and counted; after recovery the backlog flows. Times are asserted only as lower bounds (the engine must
/// wait at least so long); "within N s of recovery" is a bounded wait, never a measured duration.
/// </summary>
public sealed class DeliveryFaultTests
{
    /// <summary>How long after the server recovered the backlog must have started flowing: the backoff cap (0.8 s) and some slack.</summary>
    private static readonly TimeSpan s_recovery = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Send_ConnectionRefusedThenListening_DeliversEveryEventExactlyOnceSoonAfterRecovery()
    {
        var options = new SentryTestServerOptions { Port = LoopbackPort.Free(), PublicKey = new string('a', 32) };
        await using var harness = EngineHarness.ForDsn($"http://{options.PublicKey}@127.0.0.1:{options.Port}/{options.ProjectId}");
        var ids = Enumerable.Range(0, 20).Select(i => harness.Message($"while down {i}")).ToList();

        // Nothing listens (connection refused) until the engine has failed three times.
        await Wait.UntilAsync(() => harness.Engine.Counters?.Retries >= 3, "three failed attempts");
        await using var server = await SentryTestServer.StartAsync(options);
        await server.WaitForEventsAsync(1, s_recovery);
        await harness.FlushAsync();

        Assert.Equal(ids.Select(id => id.ToString()).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Equal(20, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task Send_FiveServerErrorsThen200_DeliversEverythingOnceAndFlushesWithinTenSeconds(int status)
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue([.. Enumerable.Repeat(FaultResponse.Status(status), 5)]);
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        var ids = Enumerable.Range(0, 10).Select(i => harness.Message($"through {status}s {i}")).ToList();

        Assert.True(await harness.Engine.FlushAsync(TimeSpan.FromSeconds(10), CancellationToken.None), "The backlog was not delivered within 10 s of five server errors.");
        Assert.Equal(ids.Select(id => id.ToString()).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Equal(10, server.Events.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(5, harness.Counters.Retries);
    }

    [Fact]
    public async Task Send_RateLimitedForErrorsWithRetryAfter_SendsNothingInsideTheWindowThenEverything()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.RateLimited("3:error:organization", retryAfter: "3"));
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        var ids = Enumerable.Range(0, 5).Select(i => harness.Message($"limited {i}")).ToList();
        await harness.FlushAsync();

        var requests = server.Requests;
        Assert.Equal(429, requests[0].StatusCode);
        Assert.All(requests.Skip(1), r => Assert.True(r.ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(2.9), $"A request came {(r.ReceivedAt - requests[0].ReceivedAt).TotalMilliseconds:0} ms after a 3 s rate limit."));
        Assert.Equal(ids.Select(id => id.ToString()).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Fact]
    public async Task Send_Bare429_WaitsAndThenDelivers()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.RateLimited(retryAfter: "1"));
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        var id = harness.Message("after a bare 429");
        await harness.FlushAsync();

        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(0.9));
        Assert.Equal(id.ToString(), Assert.Single(server.Events).EventId);
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
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Contains(harness.Logs.Messages, m => m.Contains($"HTTP {status}", StringComparison.Ordinal) && m.Contains("envelope exceeded size limits", StringComparison.Ordinal));
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("send_error")) == 1, EngineHarness.Timeout);
        Assert.Equal("error", reports.SelectMany(r => r.DiscardedEvents).Single(d => d.Reason == "send_error").Category);
    }

    [Fact]
    public async Task Send_ConnectionClosedAndServerHanging_RetriesAndDeliversOnce()
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
    public async Task FlushAsync_DuringRateLimit_ReturnsFalseAndKeepsTheEnvelopeQueued()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.RateLimited(retryAfter: "60"));
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        harness.Message("held back");
        await server.WaitForRequestsAsync(1, EngineHarness.Timeout);
        var flushed = await harness.Engine.FlushAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None);

        Assert.False(flushed);
        Assert.Empty(server.Events);
        Assert.Equal(1, harness.Counters.Queued);
    }

    [Fact]
    public async Task ClientReports_SdkDiscards_AreSentByReasonOnFlush()
    {
        await using var server = await SentryTestServer.StartAsync();
        await using var harness = EngineHarness.ForDsn(server.Dsn, o => o.SetBeforeSend(e => e.Message?.Message == "drop" ? null : e));

        harness.Message("drop");
        harness.Message("drop");
        await harness.FlushAsync();

        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("before_send")) == 2, EngineHarness.Timeout);
        Assert.All(reports.SelectMany(r => r.DiscardedEvents), d => Assert.Equal("error", d.Category));
        await Conformance.AssertValidAsync(reports[0].Envelope.RawBytes);
    }
}
