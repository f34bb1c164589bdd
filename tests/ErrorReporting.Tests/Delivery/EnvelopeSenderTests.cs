using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// How the delivery engine treats each kind of response, at the transport seam, with the SDK's real envelopes. The
/// same scenarios run against the fault-injecting HTTP server in DeliveryFaultTests.
/// </summary>
public sealed class EnvelopeSenderTests
{
    [Fact]
    public async Task Send_500ThreeTimesThen200_DeliversOnceAfterThreeGrowingRetries()
    {
        var script = new ResponseScript(new TransportResponse(500), new TransportResponse(503), new TransportResponse(502));
        await using var harness = EngineHarness.Create(script.Next);

        var id = harness.Message("retried");
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(4, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(id.ToString(), a.Envelope.HeaderEventId));
        Assert.Equal(1, harness.Counters.Delivered);
        Assert.Equal(3, harness.Counters.Retries);
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.All(gaps, gap => Assert.True(gap >= RetryBackoff.Initial * 0.7, $"Retried after {gap.TotalMilliseconds} ms, before the first backoff step."));
    }

    [Fact]
    public async Task Send_EveryAttempt_CarriesAFreshSentAtOnce()
    {
        var script = new ResponseScript(new TransportResponse(503));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("sent twice");
        await harness.FlushAsync();

        var sentAt = harness.Transport.Attempts.Select(a => a.Envelope.Header.GetProperty("sent_at").GetDateTimeOffset()).ToList();
        Assert.Equal(2, sentAt.Count);
        Assert.True(sentAt[1] > sentAt[0]);
        Assert.All(harness.Transport.Attempts, a => Assert.Single(a.Envelope.Header.EnumerateObject(), p => p.Name == "sent_at"));
    }

    [Fact]
    public async Task Send_503WithRetryAfter_WaitsWhatTheServerAsked()
    {
        var script = new ResponseScript(new TransportResponse(503, RetryAfter: "1"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("asked to wait");
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.95), $"Retried after {(attempts[1].At - attempts[0].At).TotalMilliseconds} ms of a 1 s Retry-After.");
    }

    [Fact]
    public async Task Send_NetworkFailureThenSuccess_DeliversOnce()
    {
        var script = new ResponseScript(TransportResponse.Failed(new HttpRequestException("connection refused")));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Client.CaptureException(Exceptions.Thrown(new InvalidOperationException()));
        await harness.FlushAsync();

        Assert.Equal(2, harness.Transport.Attempts.Count);
        Assert.Equal(1, harness.Counters.Delivered);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(413)]
    public async Task Send_ClientError_DropsCountsSendErrorAndLogsTheServersReason(int status)
    {
        var script = new ResponseScript(new TransportResponse(status, Detail: "envelope exceeded size limits"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("rejected");
        var later = harness.Message("later");
        await harness.FlushAsync();

        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Equal(1, harness.Counters.Delivered);
        Assert.Equal(later.ToString(), harness.Transport.Attempts[^1].Envelope.HeaderEventId);
        Assert.Contains(harness.Logs.Messages, m => m.Contains($"HTTP {status}", StringComparison.Ordinal) && m.Contains("envelope exceeded size limits", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_ClientError_IsReportedToSentryAsSendErrorInTheNextEnvelope()
    {
        var script = new ResponseScript(new TransportResponse(400, Detail: "bad"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("rejected");
        harness.Message("carries the client report");
        await harness.FlushAsync();

        var report = harness.Transport.Attempts[^1].Envelope.ClientReport ?? throw new Xunit.Sdk.XunitException("No client report.");
        var discarded = Assert.Single(report.GetProperty("discarded_events").EnumerateArray());
        Assert.Equal("send_error", discarded.GetProperty("reason").GetString());
        Assert.Equal("error", discarded.GetProperty("category").GetString());
        Assert.Equal(1, discarded.GetProperty("quantity").GetInt32());
        await Conformance.AssertValidAsync(harness.Transport.Attempts[^1].Bytes);
    }

    [Fact]
    public async Task Send_RateLimitedForErrors_WaitsTheLimitThenSendsEverythingInOrder()
    {
        var script = new ResponseScript(new TransportResponse(429, RateLimits: "1:error:organization"));
        await using var harness = EngineHarness.Create(script.Next);

        var ids = Enumerable.Range(0, 3).Select(i => harness.Message($"m{i}")).ToList();
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(4, attempts.Count);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.95), $"Sent {(attempts[1].At - attempts[0].At).TotalMilliseconds} ms after a 1 s rate limit.");
        Assert.Equal(ids.Select(id => id.ToString()), attempts.Skip(1).Select(a => a.Envelope.HeaderEventId));
        Assert.Equal(3, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Fact]
    public async Task Send_RateLimitForOneCategory_HoldsItBackWhileOtherCategoriesFlow()
    {
        var script = new ResponseScript(new TransportResponse(429, RateLimits: "2:transaction:organization"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Client.CaptureTransaction(Transaction("limited"));
        var message = harness.Message("an error event is not limited");
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(3, attempts.Count);
        Assert.Equal(message.ToString(), attempts[1].Envelope.HeaderEventId);
        Assert.True(attempts[2].At - attempts[0].At >= TimeSpan.FromSeconds(1.9), "The transaction was sent again inside its rate limit.");
        Assert.Equal("transaction", attempts[2].Envelope.Items[0].Header.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Send_RateLimitHeaderOnSuccess_DeliversAndHoldsBackTheNext()
    {
        var script = new ResponseScript(new TransportResponse(200, RateLimits: "1:error:key"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("first");
        harness.Message("second");
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.95));
        Assert.Equal(2, harness.Counters.Delivered);
    }

    [Fact]
    public async Task Send_Bare429_HoldsEverythingForItsRetryAfter()
    {
        var script = new ResponseScript(new TransportResponse(429, RetryAfter: "1"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("first");
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(0.95));
    }

    [Fact]
    public async Task FlushAsync_DuringRateLimit_ReturnsFalseAtItsTimeout()
    {
        await using var harness = EngineHarness.Create(_ => new TransportResponse(429, RetryAfter: "60"));

        harness.Message("limited");
        var flushed = await harness.Engine.FlushAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);

        Assert.False(flushed);
        Assert.Single(harness.Transport.Attempts);
        Assert.Equal(1, harness.Counters.Queued);
    }

    [Fact]
    public async Task Capture_QueueFull_ReturnsEmptyAndCountsQueueOverflow()
    {
        var release = new TaskCompletionSource<TransportResponse>();
        await using var harness = EngineHarness.Create(_ => release.Task, o => o.MaxQueueItems = 3);

        var ids = Enumerable.Range(0, 100).Select(i => harness.Message($"m{i}")).ToList();
        release.SetResult(new TransportResponse(200));
        await harness.FlushAsync();

        var refused = ids.Count(id => id == SentryId.Empty);
        Assert.True(refused > 0);
        Assert.Equal(refused, harness.Counters.Dropped(DiscardReason.QueueOverflow));
        Assert.Equal(100 - refused, harness.Counters.Delivered);
        Assert.Equal(harness.Counters.Reported, harness.Counters.Delivered + harness.Counters.DroppedTotal + harness.Counters.Queued);
    }

    [Fact]
    public async Task Capture_QueueFullDuringRateLimit_CountsRateLimitBackoff()
    {
        await using var harness = EngineHarness.Create(_ => new TransportResponse(429, RateLimits: "60::organization"), o => o.MaxQueueItems = 2);
        harness.Message("first");
        await Wait.UntilAsync(() => harness.Engine.Running!.RateLimits.IsAnyActive(DateTimeOffset.UtcNow), "the server's rate limit is in force");

        var ids = Enumerable.Range(0, 40).Select(i => harness.Message($"m{i}")).ToList();

        var dropped = ids.Count(id => id == SentryId.Empty);
        Assert.True(dropped > 0);
        Assert.Equal(dropped, harness.Counters.Dropped(DiscardReason.RateLimitBackoff));
        Assert.Equal(0, harness.Counters.Dropped(DiscardReason.QueueOverflow));
    }

    [Fact]
    public async Task Send_SdksClientReportOnFailedAttempt_IsSentAgainWithTheRetry()
    {
        var script = new ResponseScript(new TransportResponse(500));
        await using var harness = EngineHarness.Create(script.Next, o => o.SetBeforeSend(e => e.Message?.Message == "drop" ? null : e));

        Assert.Equal(SentryId.Empty, harness.Message("drop"));
        harness.Message("keep");
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a =>
        {
            var discarded = Assert.Single(a.Envelope.ClientReport!.Value.GetProperty("discarded_events").EnumerateArray());
            Assert.Equal("before_send", discarded.GetProperty("reason").GetString());
            Assert.Equal(1, discarded.GetProperty("quantity").GetInt32());
        });
        await Conformance.AssertValidAsync(attempts[1].Bytes);
    }

    [Fact]
    public async Task FlushAsync_PendingSdkDiscards_SendsThemAsAStandaloneClientReport()
    {
        await using var harness = EngineHarness.Create(configure: o => o.SetBeforeSend(_ => null));

        harness.Message("dropped by before-send");
        harness.Message("dropped too");
        await harness.FlushAsync();

        var attempt = Assert.Single(harness.Transport.Attempts);
        Assert.Null(attempt.Envelope.HeaderEventId);
        Assert.Equal("sentry.dotnet", attempt.Envelope.Header.GetProperty("sdk").GetProperty("name").GetString());
        var discarded = Assert.Single(attempt.Envelope.ClientReport!.Value.GetProperty("discarded_events").EnumerateArray());
        Assert.Equal("before_send", discarded.GetProperty("reason").GetString());
        Assert.Equal(2, discarded.GetProperty("quantity").GetInt32());
        await Conformance.AssertValidAsync(attempt.Bytes);
    }

    [Fact]
    public async Task Send_ClientReportsOff_SendsNone()
    {
        await using var harness = EngineHarness.Create(configure: o =>
        {
            o.SetBeforeSend(_ => null);
            o.SendClientReports = false;
        });

        harness.Message("dropped");
        await harness.FlushAsync();

        Assert.Empty(harness.Transport.Attempts);
    }

    [Fact]
    public async Task Send_HealthyBurst_OverlapsAtMostFourSendsAndStartsWithOne()
    {
        var probe = new ConcurrencyProbe();
        await using var harness = EngineHarness.Create(_ => probe.RespondAsync(new TransportResponse(200)));

        for (var i = 0; i < 40; i++)
        {
            harness.Message($"burst {i}");
        }

        await harness.FlushAsync();

        Assert.Equal(1, probe.ConcurrencyAt(0));
        Assert.Equal(EnvelopeSender.MaxInFlight, probe.MaxConcurrency);
        Assert.Equal(40, harness.Counters.Delivered);
    }

    [Fact]
    public async Task Send_FailureDuringBurst_NextAttemptGoesAloneAfterTheBackoff()
    {
        var probe = new ConcurrencyProbe();
        var calls = 0;
        await using var harness = EngineHarness.Create(_ => probe.RespondAsync(Interlocked.Increment(ref calls) == 20 ? new TransportResponse(503) : new TransportResponse(200)));

        for (var i = 0; i < 40; i++)
        {
            harness.Message($"burst {i}");
        }

        await harness.FlushAsync();

        var failedAt = probe.FailedAt ?? throw new Xunit.Sdk.XunitException("No send failed.");
        // A launch racing with the failure's handling happens within microseconds; the backoff is at least 75 ms.
        var next = probe.StartTimes.Select((time, index) => (time, index)).First(start => start.time > failedAt + TimeSpan.FromMilliseconds(30));
        Assert.Equal(1, probe.ConcurrencyAt(next.index));
        Assert.Equal(40, harness.Counters.Delivered);
        Assert.Equal(1, harness.Counters.Retries);
    }

    [Fact]
    public async Task Send_EnvelopesOfEveryKind_GoThroughTheEngine()
    {
        await using var harness = EngineHarness.Create();

        harness.Client.CaptureException(Exceptions.Thrown(new InvalidOperationException()));
        harness.Message("message");
        harness.Client.CaptureTransaction(Transaction("a transaction"));
        harness.Client.CaptureSession(new SessionUpdate(SentryId.Create(), "u-1", DateTimeOffset.UtcNow, "release@1", "test", null, null, 0, true, DateTimeOffset.UtcNow, 0, SessionEndStatus.Exited));
        harness.Client.CaptureCheckIn("nightly", CheckInStatus.Ok);
        await harness.FlushAsync();

        var types = harness.Transport.Attempts.SelectMany(a => a.Envelope.Items.Select(i => i.Header.GetProperty("type").GetString())).ToList();
        Assert.Equal(2, types.Count(t => t == "event"));
        Assert.Contains("transaction", types);
        Assert.Contains("session", types);
        Assert.Contains("check_in", types);
        Assert.Equal(5, harness.Counters.Delivered);
    }

    private static SentryTransaction Transaction(string name) => new(name, "test.op");

    /// <summary>
    /// Answers every send on another thread after a short hold, recording how many sends were under way when each began.
    /// </summary>
    private sealed class ConcurrencyProbe
    {
        private readonly object _gate = new();
        private readonly List<int> _concurrency = [];
        private readonly List<DateTimeOffset> _starts = [];
        private int _current;

        public DateTimeOffset? FailedAt { get; private set; }

        public int MaxConcurrency
        {
            get
            {
                lock (_gate)
                {
                    return _concurrency.Max();
                }
            }
        }

        public IReadOnlyList<DateTimeOffset> StartTimes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _starts];
                }
            }
        }

        public int ConcurrencyAt(int index)
        {
            lock (_gate)
            {
                return _concurrency[index];
            }
        }

        public Task<TransportResponse> RespondAsync(TransportResponse response)
        {
            lock (_gate)
            {
                _current++;
                _concurrency.Add(_current);
                _starts.Add(DateTimeOffset.UtcNow);
            }

            // Answer from another thread after a short hold, so that the sender can launch others meanwhile.
            return Task.Run(() =>
            {
                Thread.SpinWait(50_000);
                lock (_gate)
                {
                    _current--;
                    if (!response.IsSuccess)
                    {
                        FailedAt = DateTimeOffset.UtcNow;
                    }
                }

                return response;
            });
        }
    }
}
