using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// How the sender treats each kind of response, at the transport seam. The same scenarios run against the
/// fault-injecting HTTP server in DeliveryTests.
/// </summary>
public sealed class EnvelopeSenderTests
{
    [Fact]
    public async Task Send_500ThreeTimesThen200_DeliversOnceAfterThreeRetries()
    {
        var responses = new Queue<TransportResponse>([new(500), new(503), new(502)]);
        await using var harness = ReporterHarness.Create(respond: _ => Next(responses));

        var id = harness.Reporter.ReportMessage("retried");
        await harness.FlushAsync();

        Assert.Equal(4, harness.SentEvents.Count);
        Assert.All(harness.SentEvents, e => Assert.Equal(id.ToString(), e.HeaderEventId));
        Assert.Equal(1, harness.Enabled.Counters.Delivered);
        Assert.Equal(3, harness.Enabled.Counters.Retries);
        var gaps = harness.AttemptTimes.Zip(harness.AttemptTimes.Skip(1), (a, b) => b - a).ToList();
        Assert.All(gaps, gap => Assert.True(gap >= TimeSpan.FromMilliseconds(375), $"Retried after {gap.TotalMilliseconds} ms, before the first backoff step."));
        Assert.True(gaps[2] > gaps[0], "The backoff did not grow.");
    }

    [Fact]
    public async Task Send_NetworkFailureThenSuccess_DeliversOnce()
    {
        var responses = new Queue<TransportResponse>([TransportResponse.Failed(new HttpRequestException("connection refused"))]);
        await using var harness = ReporterHarness.Create(respond: _ => Next(responses));

        harness.Reporter.ReportHandled(new InvalidOperationException());
        await harness.FlushAsync();

        Assert.Equal(2, harness.SentEvents.Count);
        Assert.Equal(1, harness.Enabled.Counters.Delivered);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(413)]
    public async Task Send_ClientError_DropsCountsSendErrorAndLogsDetail(int status)
    {
        var logs = new ListLoggerProvider();
        var responses = new Queue<TransportResponse>([new(status, Detail: "envelope exceeded size limits")]);
        await using var harness = ReporterHarness.Create(respond: _ => Next(responses), logs: logs);

        harness.Reporter.ReportMessage("rejected");
        var later = harness.Reporter.ReportMessage("later");
        await harness.FlushAsync();

        Assert.Equal(1, harness.Enabled.Counters.Dropped(DiscardReason.SendError));
        Assert.Equal(1, harness.Enabled.Counters.Delivered);
        Assert.Equal(later.ToString(), harness.SentEvents[^1].HeaderEventId);
        Assert.Contains(logs.Messages, m => m.Contains($"HTTP {status}", StringComparison.Ordinal) && m.Contains("envelope exceeded size limits", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_RateLimitedForErrors_WaitsAtLeastTheLimitThenSendsEverything()
    {
        var responses = new Queue<TransportResponse>([new(429, RateLimits: "1:error:organization")]);
        await using var harness = ReporterHarness.Create(respond: _ => Next(responses));

        var ids = Enumerable.Range(0, 3).Select(i => harness.Reporter.ReportMessage($"m{i}")).ToList();
        await harness.FlushAsync();

        var attempts = harness.AttemptTimes;
        Assert.Equal(4, attempts.Count);
        Assert.True(attempts[1] - attempts[0] >= TimeSpan.FromSeconds(1), $"Sent {(attempts[1] - attempts[0]).TotalMilliseconds} ms after a 1 s rate limit.");
        Assert.Equal(ids.Select(id => id.ToString()), harness.SentEvents.Skip(1).Select(e => e.HeaderEventId));
        Assert.Equal(3, harness.Enabled.Counters.Delivered);
        Assert.Equal(0, harness.Enabled.Counters.DroppedTotal);
    }

    [Fact]
    public async Task Send_RateLimitHeaderOnSuccess_DeliversAndHoldsBackTheNext()
    {
        var responses = new Queue<TransportResponse>([new(200, RateLimits: "1:error:key")]);
        await using var harness = ReporterHarness.Create(respond: _ => Next(responses));

        harness.Reporter.ReportMessage("first");
        harness.Reporter.ReportMessage("second");
        await harness.FlushAsync();

        var attempts = harness.AttemptTimes;
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[1] - attempts[0] >= TimeSpan.FromSeconds(1));
        Assert.Equal(2, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task FlushAsync_DuringRateLimit_ReturnsFalseAtItsTimeout()
    {
        await using var harness = ReporterHarness.Create(respond: _ => new TransportResponse(429, RetryAfter: "60"), configure: o => o.ShutdownTimeout = TimeSpan.Zero);

        harness.Reporter.ReportMessage("limited");
        var flushed = await harness.Reporter.FlushAsync(TimeSpan.FromMilliseconds(300));

        Assert.False(flushed);
        Assert.Single(harness.AttemptTimes);
        Assert.Equal(1, harness.Enabled.Counters.Queued);
    }

    [Fact]
    public async Task Report_QueueFullDuringRateLimit_CountsRateLimitBackoff()
    {
        await using var harness = ReporterHarness.Create(respond: _ => new TransportResponse(429, RateLimits: "60::organization"), configure: o =>
        {
            o.MaxQueueItems = 2;
            o.ShutdownTimeout = TimeSpan.Zero;
        });
        harness.Reporter.ReportMessage("first");
        await Wait.UntilAsync(() => harness.Enabled.RateLimits.IsAnyActive(DateTimeOffset.UtcNow), "the server's rate limit is in force");

        var ids = Enumerable.Range(0, 40).Select(i => harness.Reporter.ReportMessage($"m{i}")).ToList();

        var dropped = ids.Count(id => id.IsEmpty);
        Assert.True(dropped > 0);
        Assert.Equal(dropped, harness.Enabled.Counters.Dropped(DiscardReason.RateLimitBackoff));
        Assert.Equal(0, harness.Enabled.Counters.Dropped(DiscardReason.QueueOverflow));
    }

    [Fact]
    public async Task Send_ClientReportOnFailedAttempt_IsRestoredAndSentWithTheRetry()
    {
        var responses = new Queue<TransportResponse>([new(500)]);
        await using var harness = ReporterHarness.Create(respond: _ => Next(responses), configure: o => o.BeforeSend = e => e.Message == "drop" ? null : e);

        harness.Reporter.ReportMessage("drop");
        harness.Reporter.ReportMessage("keep");
        await harness.FlushAsync();

        var attempts = harness.Sent;
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.NotNull(a.ClientReport));
        var discarded = Assert.Single(attempts[1].ClientReport!.Value.GetProperty("discarded_events").EnumerateArray());
        Assert.Equal("before_send", discarded.GetProperty("reason").GetString());
        Assert.Equal(1, discarded.GetProperty("quantity").GetInt32());
        await Conformance.AssertValidAsync(harness.SentBytes[1]);
    }

    [Fact]
    public async Task Send_ClientReportsOff_SendsNone()
    {
        await using var harness = ReporterHarness.Create(configure: o =>
        {
            o.SampleRate = 0;
            o.SendClientReports = false;
        });

        harness.Reporter.ReportMessage("sampled out");
        await harness.FlushAsync();

        Assert.Empty(harness.Sent);
    }

    [Fact]
    public async Task Send_HealthyBurst_OverlapsAtMostFourSendsAndStartsWithOne()
    {
        var gate = new ConcurrencyProbe();
        await using var harness = ReporterHarness.CreateAsync(_ => gate.RespondAsync(new TransportResponse(200)));

        for (var i = 0; i < 40; i++)
        {
            harness.Reporter.ReportMessage($"burst {i}");
        }

        await harness.FlushAsync();

        Assert.Equal(1, gate.ConcurrencyAt(0));
        Assert.Equal(EnvelopeSender.MaxInFlight, gate.MaxConcurrency);
        Assert.Equal(40, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task Send_FailureDuringBurst_NextAttemptGoesAloneAfterTheBackoff()
    {
        var gate = new ConcurrencyProbe();
        var calls = 0;
        await using var harness = ReporterHarness.CreateAsync(_ => gate.RespondAsync(Interlocked.Increment(ref calls) == 20 ? new TransportResponse(503) : new TransportResponse(200)));

        for (var i = 0; i < 40; i++)
        {
            harness.Reporter.ReportMessage($"burst {i}");
        }

        await harness.FlushAsync();

        var failedAt = gate.FailedAt ?? throw new Xunit.Sdk.XunitException("No send failed.");
        // A launch racing with the failure's handling happens within microseconds; the backoff is at least 375 ms.
        var next = gate.StartTimes.Select((time, index) => (time, index)).First(start => start.time > failedAt + TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, gate.ConcurrencyAt(next.index));
        Assert.True(next.time - failedAt >= RetryBackoff.Initial * 0.75, $"Sent again {(next.time - failedAt).TotalMilliseconds} ms after the failure.");
        Assert.Equal(40, harness.Enabled.Counters.Delivered);
        Assert.Equal(1, harness.Enabled.Counters.Retries);
    }

    private static TransportResponse Next(Queue<TransportResponse> responses)
    {
        lock (responses)
        {
            return responses.TryDequeue(out var response) ? response : new TransportResponse(200);
        }
    }

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
