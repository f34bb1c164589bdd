using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Delivery.Store;
using ErrorReporting.HealthChecks;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace ErrorReporting.Tests.HealthChecks;

/// <summary>
/// The health check's judgement of a delivery engine (<see cref="DeliveryHealth"/>) where the issue leaves the choice
/// to us, at the transport seam (the SDK's real envelopes, a scripted transport, a <see cref="FakeTimeProvider"/>):
/// answers that are neither a success nor a key problem, the one-minute window of an overflow, a full offline cache.
/// The cases the issue names are tested on the wire in <see cref="ErrorReportingHealthCheckTests"/>.
/// </summary>
public sealed class DeliveryHealthTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_unhealthyAfter = ErrorReportingHealthCheckOptions.DefaultUnhealthyAfter;
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-health-tests", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Assess_LastAnswerServerError_DegradedSayingTheServerFailsAndTheEnvelopeWasDiscarded(int status)
    {
        var script = new ResponseScript(new TransportResponse(status, Detail: "upstream overloaded"));
        await using var harness = EngineHarness.Create(script.Next, time: new FakeTimeProvider(s_start));

        harness.Message("meets the server error");
        await Wait.UntilAsync(() => harness.Pipeline.Sender.State.LastAnswerStatus == status, "the server error");
        var result = new DeliveryHealth().Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal($"Sentry at sentry.invalid is failing (HTTP {status}: upstream overloaded): the envelope that met it was discarded (send_error: 1 since start) and the engine sends more slowly until it recovers.", result.Description);
        Assert.Equal(status, result.Data["last_failure_status"]);
        Assert.Equal(s_start, result.Data["last_failure"]);
        Assert.Equal(1L, result.Data["dropped.send_error"]);
    }

    [Fact]
    public async Task Assess_ServerFailingForUnhealthyAfter_FailureStatusSayingEveryEnvelopeThatMetItWasDiscarded()
    {
        var time = new FakeTimeProvider(s_start);
        await using var harness = EngineHarness.Create(_ => new TransportResponse(503, Detail: "upstream overloaded"), time: time);
        var health = new DeliveryHealth();

        harness.Message("meets the first 503");
        harness.Message("the next probe meets another");
        await harness.WaitForAttemptsAsync(1);

        // The sender has slowed down after the first 503 (its retry time taken at the start), before the clock moves.
        await Wait.UntilAsync(() => harness.Pipeline.Schedule.Failures == 1, "the first 503 handled");
        time.Advance(s_unhealthyAfter - TimeSpan.FromSeconds(1));
        await harness.WaitForAttemptsAsync(2);
        await Wait.UntilAsync(() => harness.Counters.Dropped(DiscardReason.SendError) == 2, "both discarded");
        var before = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        time.Advance(TimeSpan.FromSeconds(1));
        var after = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);

        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal(HealthStatus.Unhealthy, after.Status);
        Assert.Equal("Sentry at sentry.invalid has been failing for 5 min (HTTP 503: upstream overloaded): every envelope that met it was discarded (send_error: 2 since start); check the Sentry server's status (status.sentry.io, or your self-hosted Sentry).", after.Description);
    }

    [Fact]
    public async Task Assess_BackgroundLoopFailed_FailureStatusSayingNothingMoreIsSentAndTheFlushIsReleased()
    {
        // A transport that throws instead of returning its failure breaks our own seam's contract: a bug, which stops
        // the sender's loop. The check must say so, not go on reporting the last answer it saw.
        await using var harness = EngineHarness.Create(TransportResponse (_) => throw new InvalidOperationException("a bug in the transport"), time: new FakeTimeProvider(s_start));
        var health = new DeliveryHealth();

        harness.Message("meets the bug");
        var flushed = await harness.Engine.FlushAsync(TimeSpan.FromMinutes(5), CancellationToken.None).AsTask().WaitAsync(EngineHarness.Timeout);
        var result = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);

        Assert.False(flushed);
        Assert.True(harness.Pipeline.Faulted);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(DeliveryHealth.Faulted, result.Description);
        Assert.Contains(harness.Logs.Messages, m => m.Contains("background work failed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(400, "invalid envelope")]
    [InlineData(413, "envelope exceeded size limits")]
    public async Task Assess_LastAnswerOtherClientError_DegradedUntilTheNextDelivery(int status, string detail)
    {
        var script = new ResponseScript(new TransportResponse(status, Detail: detail));
        await using var harness = EngineHarness.Create(script.Next, time: new FakeTimeProvider(s_start));
        var health = new DeliveryHealth();

        harness.Message("refused");
        await Wait.UntilAsync(() => harness.Pipeline.Sender.State.LastAnswerStatus == status, "the refusal");
        var refused = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        harness.Message("accepted");
        await harness.FlushAsync();
        var delivered = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);

        Assert.Equal(HealthStatus.Degraded, refused.Status);
        Assert.Equal($"Sentry refused the last envelope (HTTP {status}: {detail}): it was discarded (send_error: 1 since start); later envelopes are still sent.", refused.Description);
        Assert.Equal(HealthStatus.Healthy, delivered.Status);
        Assert.Equal(DeliveryHealth.Delivered, delivered.Description);
        Assert.Equal(1L, delivered.Data["delivered"]);
        Assert.Equal(status, delivered.Data["last_failure_status"]);
    }

    [Fact]
    public async Task Assess_ErrorEventDroppedForQueueOverflow_FailureStatusForOneMinuteThenDegradedByTheFullQueue()
    {
        var time = new FakeTimeProvider(s_start);
        var held = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = EngineHarness.Create(_ => held.Task, o => o.MaxQueueItems = 1, time);
        var health = new DeliveryHealth();

        Assert.NotEqual(SentryId.Empty, harness.Message("held by the server"));
        await harness.WaitForAttemptsAsync(1);
        Assert.Equal(SentryId.Empty, harness.Message("no room"));
        var dropped = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Degraded);
        time.Advance(TimeSpan.FromSeconds(59));
        var later = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        time.Advance(TimeSpan.FromSeconds(1));
        var minuteLater = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        held.SetResult(new TransportResponse(200));

        // The registration's failure status stands for Unhealthy.
        Assert.Equal(HealthStatus.Degraded, dropped.Status);
        Assert.Equal("Error events were dropped 0 s ago because the delivery queue or the offline cache was full (queue_overflow: 1, cache_overflow: 0 envelopes since start): raise MaxQueueItems or MaxCacheItems, or find what floods them.", dropped.Description);
        Assert.Equal(1L, dropped.Data["dropped.queue_overflow"]);
        Assert.Equal(HealthStatus.Unhealthy, later.Status);
        Assert.StartsWith("Error events were dropped 59 s ago", later.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, minuteLater.Status);
        Assert.Equal("The delivery queue is 100 % full (1 of 1 error events and sessions): they come faster than Sentry takes them; new ones are refused when it is full (raise MaxQueueItems, or find the flood).", minuteLater.Description);
    }

    [Fact]
    public async Task Assess_OfflineCacheOver80PercentFull_DegradedWithTheFill()
    {
        var held = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = EngineHarness.Create(_ => held.Task, o =>
        {
            o.CacheDirectoryPath = _cache;
            o.MaxCacheItems = 5;
        }, new FakeTimeProvider(s_start));
        var health = new DeliveryHealth();

        for (var i = 0; i < 4; i++)
        {
            harness.Message($"cached {i}");
        }

        await Wait.UntilAsync(() => harness.Pipeline.Store is DiskEnvelopeStore { IsOnDisk: true, Count: 4 }, "four envelopes in the offline cache");
        var atEighty = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        harness.Message("cached 4");
        await Wait.UntilAsync(() => harness.Pipeline.Store.Count == 5, "five envelopes in the offline cache");
        var full = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        harness.Message("evicts an error event");
        await Wait.UntilAsync(() => harness.Counters.Dropped(DiscardReason.CacheOverflow) == 1, "an eviction");
        var evicted = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        held.SetResult(new TransportResponse(200));

        Assert.Equal(HealthStatus.Healthy, atEighty.Status);
        Assert.Equal(DeliveryHealth.NothingSentYet, atEighty.Description);
        Assert.Equal(4L, atEighty.Data["cached"]);
        Assert.Equal(HealthStatus.Degraded, full.Status);
        Assert.Equal("The offline cache is 100 % full (5 of 5 envelopes): beyond MaxCacheItems the oldest are evicted, error events last.", full.Description);
        Assert.Equal(5L, full.Data["cached"]);
        Assert.Equal(5L, full.Data["queued"]);
        Assert.Equal(HealthStatus.Unhealthy, evicted.Status);
        Assert.Equal("Error events were dropped 0 s ago because the delivery queue or the offline cache was full (queue_overflow: 0, cache_overflow: 1 envelopes since start): raise MaxQueueItems or MaxCacheItems, or find what floods them.", evicted.Description);
    }

    [Fact]
    public async Task Assess_TransactionsDroppedForQueueOverflow_DegradedByTheFullBulkLaneNotTheFailureStatus()
    {
        var held = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = EngineHarness.Create(_ => held.Task, o => o.MaxQueueItems = 1, new FakeTimeProvider(s_start));

        harness.Client.CaptureTransaction(new SentryTransaction("held by the server", "test.op"));
        await harness.WaitForAttemptsAsync(1);
        harness.Client.CaptureTransaction(new SentryTransaction("shed", "test.op"));
        await Wait.UntilAsync(() => harness.Counters.Dropped(DiscardReason.QueueOverflow) == 1, "the shed transaction");
        var result = new DeliveryHealth().Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        held.SetResult(new TransportResponse(200));

        // A flood may shed transactions, logs and other bulk kinds; only lost error events are the failure status.
        Assert.Null(harness.Counters.LastErrorOverflow);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("The delivery queue is 100 % full (1 of 1 transactions, logs and other bulk items): they come faster than Sentry takes them; new ones are refused when it is full (raise MaxQueueItems, or sample them).", result.Description);
        Assert.Equal(1L, result.Data["dropped.queue_overflow"]);
    }

    [Fact]
    public async Task Assess_RateLimitsPerCategory_NamesEachLimitInForceWithItsTimeLeftAndDropsEndedOnes()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(200, RateLimits: "60:transaction:organization, 300:error;log_item:project, 30::key"));
        await using var harness = EngineHarness.Create(script.Next, time: time);
        var health = new DeliveryHealth();

        // Not flushed: a flush also waits for the client reports, which the all-categories limit holds back.
        harness.Message("announces limits");
        await Wait.UntilAsync(() => harness.Counters.Delivered == 1, "the delivery");
        var limited = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        time.Advance(TimeSpan.FromSeconds(90));
        var later = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);
        time.Advance(TimeSpan.FromMinutes(4));
        var ended = health.Assess(harness.Engine, s_unhealthyAfter, HealthStatus.Unhealthy);

        Assert.Equal(HealthStatus.Degraded, limited.Status);
        Assert.Equal("Sentry rate-limits all categories (30 s left), transaction (1 min left), error (5 min left), log_item (5 min left): reports of these categories are dropped until then (ratelimit_backoff); check the project's quota and rate limits in Sentry.", limited.Description);
        Assert.Equal(s_start.AddSeconds(30), limited.Data["rate_limit.all"]);
        Assert.Equal(s_start.AddMinutes(1), limited.Data["rate_limit.transaction"]);
        Assert.Equal(s_start.AddMinutes(5), limited.Data["rate_limit.error"]);
        Assert.Equal("Sentry rate-limits error (3 min 30 s left), log_item (3 min 30 s left): reports of these categories are dropped until then (ratelimit_backoff); check the project's quota and rate limits in Sentry.", later.Description);
        Assert.False(later.Data.ContainsKey("rate_limit.all"));
        Assert.False(later.Data.ContainsKey("rate_limit.transaction"));
        Assert.Equal(HealthStatus.Healthy, ended.Status);
        Assert.Equal(DeliveryHealth.Delivered, ended.Description);
        Assert.DoesNotContain(ended.Data.Keys, key => key.StartsWith("rate_limit.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("server error")]
    [InlineData("unreachable")]
    [InlineData("unreachable too long")]
    [InlineData("error event overflow")]
    public async Task Assess_RepeatedInAFormattedState_AllocatesNothingBeyondItsResult(string state)
    {
        var time = new FakeTimeProvider(s_start);
        var held = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<TransportAttempt, Task<TransportResponse>> respond = state switch
        {
            "server error" => _ => Task.FromResult(new TransportResponse(503, Detail: "upstream overloaded")),
            "error event overflow" => _ => held.Task,
            _ => _ => Task.FromResult(TransportResponse.Failed(new HttpRequestException("Connection refused (sentry.invalid:443)"))),
        };
        await using var harness = EngineHarness.Create(respond, o => o.MaxQueueItems = 1, time);
        var health = new DeliveryHealth();

        harness.Message("meets the fault");
        await harness.WaitForAttemptsAsync(1);
        if (state == "error event overflow")
        {
            harness.Message("no room");
        }

        await Wait.UntilAsync(() => harness.Pipeline.Sender.State.LastFailureAt is not null || harness.Counters.LastErrorOverflow is not null, "the fault");
        var unhealthyAfter = state == "unreachable too long" ? TimeSpan.FromTicks(1) : s_unhealthyAfter;
        time.Advance(TimeSpan.FromTicks(1));
        var measured = ResultAllocation.Measure(() => health.Assess(harness.Engine, unhealthyAfter, HealthStatus.Unhealthy), inTask: false);
        held.SetResult(new TransportResponse(200));
        output.WriteLine($"{state}: {measured.PerCall} B per call, its result {measured.Result} B ({measured.Entries} data entries, a {measured.DescriptionLength}-character description).");

        Assert.Equal(state switch { "unreachable too long" or "error event overflow" => HealthStatus.Unhealthy, _ => HealthStatus.Degraded }, measured.Status);
        Assert.InRange(measured.PerCall, 1, measured.Result);
    }

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(42.9, "42 s")]
    [InlineData(60, "1 min")]
    [InlineData(252, "4 min 12 s")]
    [InlineData(3600, "1 h")]
    [InlineData(7500, "2 h 5 min")]
    [InlineData(-3, "0 s")]
    public void Duration_Seconds_ReadAsAPersonWould(double seconds, string expected)
        => Assert.Equal(expected, DeliveryHealth.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void OneLine_LongTextOfSeveralLines_OneLineOfAtMostThreeHundredCharacters()
    {
        var line = DeliveryHealth.OneLine("HTTP 400: first\nsecond " + new string('x', 400));

        Assert.StartsWith("HTTP 400: first second xxx", line, StringComparison.Ordinal);
        Assert.Equal(300, line.Length);
        Assert.EndsWith("…", line, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }
}
