using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// What the delivery engine does with each answer of the server (Sentry's transport rules), at the transport seam, with
/// the SDK's real envelopes and a <see cref="FakeTimeProvider"/> for every delay: retries, the backlog's pace, rate
/// limits, client reports. The same rules over real HTTP are in <see cref="DeliveryFaultTests"/>.
/// </summary>
public sealed class EnvelopeSenderTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    [InlineData(204)]
    public async Task Send_Any2xx_IsDeliveredOnce(int status)
    {
        await using var harness = EngineHarness.Create(_ => new TransportResponse(status));

        var id = harness.Message("accepted");
        await harness.FlushAsync();

        Assert.Equal(id.ToString(), Assert.Single(harness.Transport.Attempts).Envelope.HeaderEventId);
        Assert.Equal(1, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(408)]
    [InlineData(413)]
    public async Task Send_ClientError_DiscardsCountsSendErrorNeverResendsAndTheNextFlows(int status)
    {
        var script = new ResponseScript(new TransportResponse(status, Detail: "envelope rejected"));
        await using var harness = EngineHarness.Create(script.Next, time: new FakeTimeProvider(s_start));

        var rejected = harness.Message("rejected");
        var later = harness.Message("later");
        await harness.FlushAsync();

        // No time passed: the next envelope did not wait for anything.
        Assert.Equal([rejected.ToString(), later.ToString()], harness.Transport.Attempts.Select(a => a.Envelope.HeaderEventId));
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Equal(1, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.Retries);
        Assert.Equal(1, harness.Transport.Attempts[1].Envelope.Discarded("send_error", "error"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Send_ServerError_DiscardsCountsSendErrorAndWaitsBeforeTheNextRequest(int status)
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(status));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        var discarded = harness.Message("meets the server error");
        var next = harness.Message("waits");
        await harness.WaitForAttemptsAsync(1);

        var nextLook = await harness.NextLookAsync();
        Assert.InRange(nextLook - s_start, TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(1));
        Assert.Single(harness.Transport.Attempts);
        time.SetUtcNow(nextLook);
        await harness.FlushAsync();

        Assert.Equal([discarded.ToString(), next.ToString()], harness.Transport.Attempts.Select(a => a.Envelope.HeaderEventId));
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Equal(0, harness.Counters.Retries);
        Assert.Equal(1, harness.Transport.Attempts[1].Envelope.Discarded("send_error", "error"));
    }

    [Fact]
    public async Task Send_TransactionRejected_CountsTheTransactionAndItsSpanInTheClientReport()
    {
        var script = new ResponseScript(new TransportResponse(400, Detail: "bad transaction"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Client.CaptureTransaction(Transaction("checkout"));
        harness.Message("carries the client report");
        await harness.FlushAsync();

        var report = harness.Transport.Attempts[1].Envelope;
        Assert.Equal(1, report.Discarded("send_error", "transaction"));
        Assert.Equal(1, report.Discarded("send_error", "span"));
    }

    [Fact]
    public async Task Send_ServerErrorWithRetryAfter_WaitsWhatTheServerAsked()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(503, RetryAfter: "30"));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        harness.Message("discarded");
        harness.Message("waits 30 s");
        await harness.WaitForAttemptsAsync(1);

        Assert.Equal(s_start + TimeSpan.FromSeconds(30), await harness.NextLookAsync());
    }

    [Fact]
    public async Task Send_SameStatusTwice_LogsTheServersReasonOnce()
    {
        await using var harness = EngineHarness.Create(_ => new TransportResponse(403, Detail: "project disabled"));

        harness.Message("first");
        harness.Message("second");
        await harness.FlushAsync();

        Assert.Equal(2, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Single(harness.Logs.Messages, m => m.Contains("HTTP 403", StringComparison.Ordinal) && m.Contains("project disabled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_TwoStatusesThenA2xxThenTheFirstAgain_LogsEachStatusOnceAndAgainAfterTheDelivery()
    {
        var script = new ResponseScript(
            new TransportResponse(403, Detail: "project disabled"),
            new TransportResponse(403, Detail: "project disabled"),
            new TransportResponse(401, Detail: "bad key"),
            new TransportResponse(401, Detail: "bad key"),
            new TransportResponse(200),
            new TransportResponse(403, Detail: "project disabled"));
        await using var harness = EngineHarness.Create(script.Next);

        for (var i = 0; i < 6; i++)
        {
            harness.Message($"message {i}");
        }

        await harness.FlushAsync();

        Assert.Equal(5, harness.Counters.Dropped(DiscardReason.SendError));
        Assert.Collection(
            harness.Logs.Messages.Where(m => m.Contains("rejected the envelope", StringComparison.Ordinal)),
            m => Assert.Contains("HTTP 403: project disabled", m, StringComparison.Ordinal),
            m => Assert.Contains("HTTP 401: bad key", m, StringComparison.Ordinal),
            m => Assert.Contains("HTTP 403: project disabled", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_413_LogsWhatToShrink()
    {
        var script = new ResponseScript(new TransportResponse(413, Detail: "envelope exceeded size limits"));
        await using var harness = EngineHarness.Create(script.Next);

        harness.Message("too large");
        await harness.FlushAsync();

        var message = Assert.Single(harness.Logs.Messages, m => m.Contains("413", StringComparison.Ordinal));
        Assert.Contains("envelope exceeded size limits", message, StringComparison.Ordinal);
        Assert.Contains("MaxAttachmentSize", message, StringComparison.Ordinal);
        Assert.Contains("MaxBreadcrumbs", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_429_DiscardsWithoutAClientReportAndRefusesTheCategoryUntilTheLimitEnds()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(429, RateLimits: "60:error:organization", RetryAfter: "60"));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        var limited = harness.Message("meets the 429");
        await harness.WaitForAttemptsAsync(1);
        await Wait.UntilAsync(() => harness.Engine.RateLimits.IsAnyActive(time.GetUtcNow()), "the rate limit");
        var inWindow = harness.Message("reported inside the window");
        time.Advance(TimeSpan.FromSeconds(60));
        var after = harness.Message("after the window");
        await harness.FlushAsync();

        Assert.Equal(SentryId.Empty, inWindow);
        Assert.Equal([limited.ToString(), after.ToString()], harness.Transport.Attempts.Select(a => a.Envelope.HeaderEventId));
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.RateLimited));
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.RateLimitBackoff));
        var report = harness.Transport.Attempts[1].Envelope;
        Assert.Equal([("ratelimit_backoff", "error", 1L)], report.Discards);
    }

    [Fact]
    public async Task Send_RateLimitHeaderOn200_RefusesThatCategoryOnly()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(200, RateLimits: "60:transaction:organization"));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        harness.Message("delivered, announces the limit");
        await harness.FlushAsync();
        harness.Client.CaptureTransaction(Transaction("refused"));
        var message = harness.Message("errors still flow");
        await harness.FlushAsync();

        Assert.Equal(2, harness.Transport.Attempts.Count);
        Assert.Equal(message.ToString(), harness.Transport.Attempts[1].Envelope.HeaderEventId);
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.RateLimitBackoff));
    }

    [Fact]
    public async Task Send_EnvelopeQueuedBeforeTheLimit_IsSentOnlyAfterItEnds()
    {
        var time = new FakeTimeProvider(s_start);
        var held = new HeldResponses();
        await using var harness = EngineHarness.Create(held.Respond, time: time);

        harness.Client.CaptureTransaction(Transaction("first"));
        harness.Client.CaptureTransaction(Transaction("second, queued before the limit"));
        await Wait.UntilAsync(() => harness.Pipeline.Store.Count == 2, "both transactions in the store");
        (await held.NextAsync()).SetResult(new TransportResponse(429, RateLimits: "60:transaction:organization"));

        Assert.Equal(s_start + TimeSpan.FromSeconds(60), await harness.NextLookAsync());
        Assert.Single(harness.Transport.Attempts);
        time.SetUtcNow(s_start + TimeSpan.FromSeconds(60));

        // What the limit held back is sent paced, as a backlog after an outage: the first 100 ms after its end.
        Assert.Equal(s_start + TimeSpan.FromSeconds(60.1), await harness.NextLookAsync());
        Assert.Single(harness.Transport.Attempts);
        time.SetUtcNow(s_start + TimeSpan.FromSeconds(60.1));
        (await held.NextAsync()).SetResult(new TransportResponse(200));
        await harness.FlushAsync();

        Assert.Equal(2, harness.Transport.Attempts.Count);
        Assert.Equal(1, harness.Counters.Delivered);
        Assert.Equal(1, harness.Counters.Dropped(DiscardReason.RateLimited));
    }

    [Fact]
    public async Task Capture_AttachmentCategoryLimited_SendsTheEventWithoutItAndCountsIt()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(200, RateLimits: "60:attachment:organization"));
        await using var harness = EngineHarness.Create(script.Next, time: time);
        harness.Message("announces the limit");
        await harness.FlushAsync();

        var scope = new Scope(new SentryOptions());
        scope.AddAttachment([1, 2, 3], "state.bin");
        var id = harness.Client.CaptureEvent(new SentryEvent { Message = "with an attachment" }, scope);
        await harness.FlushAsync();

        var sent = harness.Transport.Attempts[1].Envelope;
        Assert.Equal(id.ToString(), sent.HeaderEventId);
        Assert.DoesNotContain("attachment", sent.ItemTypes);
        Assert.Equal(1, sent.Discarded("ratelimit_backoff", "attachment"));
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Fact]
    public async Task Send_NoResponse_KeepsTheEnvelopeAndProbesAloneAtDoublingIntervalsUpToAMinute()
    {
        var time = new FakeTimeProvider(s_start);
        await using var harness = EngineHarness.Create(_ => TransportResponse.Failed(new HttpRequestException("Connection refused")), time: time);

        var oldest = harness.Message("oldest");
        for (var i = 0; i < 19; i++)
        {
            harness.Message($"waiting {i}");
        }

        await harness.WaitForAttemptsAsync(1);
        double[] steps = [1, 2, 4, 8, 16, 32, 60, 60, 60];
        for (var i = 0; i < steps.Length; i++)
        {
            var at = await harness.NextLookAsync();
            var delay = at - time.GetUtcNow();
            Assert.InRange(delay.TotalSeconds, 0.75 * steps[i], steps[i]);
            Assert.Equal(i + 1, harness.Transport.Attempts.Count);
            time.SetUtcNow(at);
            await harness.WaitForAttemptsAsync(i + 2);
        }

        Assert.All(harness.Transport.Attempts, a => Assert.Equal(oldest.ToString(), a.Envelope.HeaderEventId));
        Assert.Equal(0, harness.Counters.DroppedTotal);
        Assert.Equal(20, harness.Engine.QueuedItems);
    }

    [Fact]
    public async Task Send_ProbeSucceeds_DrainsWhatWaitedOneAtATimeAtLeast100MsApartThenLiveTrafficIsNotPaced()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(TransportResponse.Failed(new HttpRequestException("Connection refused")));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        var backlog = Enumerable.Range(0, 10).Select(i => harness.Message($"waited {i}")).ToList();
        await harness.WaitForAttemptsAsync(1);

        // All ten in the store before the probe: one still passing from the queue to the store when the answer comes is
        // counted in neither, and goes unpaced after the backlog.
        await Wait.UntilAsync(() => harness.Pipeline.Store.Count == 10, "the ten in the store");
        var recovered = await harness.AdvanceToNextLookAsync();
        await harness.WaitForAttemptsAsync(2);

        for (var i = 1; i < backlog.Count; i++)
        {
            var at = await harness.NextLookAsync();
            Assert.Equal(recovered + TimeSpan.FromMilliseconds(100 * i), at);
            Assert.Equal(i + 1, harness.Transport.Attempts.Count);
            time.SetUtcNow(at);
            await harness.WaitForAttemptsAsync(i + 2);
        }

        // The backlog is out. The clock no longer moves: the flush (which fails the test if it does not end) ends only if
        // the live reports go without a pace, and the sender has no time of its own to look again.
        var live = Enumerable.Range(0, 5).Select(i => harness.Message($"live {i}")).ToList();
        await harness.FlushAsync();

        Assert.Null(harness.Pipeline.Sender.NextLook);
        var sent = harness.Transport.Attempts.Skip(1).Select(a => a.Envelope.HeaderEventId).ToList();
        Assert.Equal(backlog.Concat(live).Select(id => id.ToString()), sent);
        Assert.Equal(15, harness.Counters.Delivered);
        Assert.Equal(1, harness.Counters.Retries);
    }

    [Fact]
    public async Task Send_HealthyBurst_StartsWithOneAndOverlapsAtMostFour()
    {
        var held = new HeldResponses();
        await using var harness = EngineHarness.Create(held.Respond);
        held.InFlight = () => harness.Pipeline.Sender.InFlightCount;

        for (var i = 0; i < 40; i++)
        {
            harness.Message($"burst {i}");
        }

        // All 40 wait before the first answer: only the schedule keeps the second send from starting beside the first.
        await Wait.UntilAsync(() => harness.Pipeline.Store.Count == 40, "the burst in the store");
        for (var answered = 0; answered < 40; answered++)
        {
            (await held.NextAsync()).SetResult(new TransportResponse(200));
        }

        await harness.FlushAsync();

        Assert.Equal(40, held.UnansweredAtEachSend.Count);
        Assert.Equal(1, held.UnansweredAtEachSend[1]);
        Assert.Equal(4, held.UnansweredAtEachSend.Max());
    }

    [Fact]
    public async Task FlushAsync_OutageLongerThanTheTimeout_ReturnsFalseAndKeepsTheEnvelopes()
    {
        var time = new FakeTimeProvider(s_start);
        await using var harness = EngineHarness.Create(_ => TransportResponse.Failed(new HttpRequestException("Connection refused")), time: time);
        harness.Message("kept");
        harness.Message("kept too");
        await harness.WaitForAttemptsAsync(1);

        // The flush's timer exists once the call returns: advancing the clock past it ends the flush.
        var flush = harness.Engine.FlushAsync(TimeSpan.FromSeconds(10), CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(await flush.WaitAsync(EngineHarness.Timeout));
        Assert.Equal(2, harness.Engine.QueuedItems);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(-1)]
    public async Task FlushAsync_EnvelopeReportedAfterTheCallUnansweredAtTheTimeout_ReturnsTrueSinceThoseBeforeItWereDelivered(int timeoutMs)
    {
        var time = new FakeTimeProvider(s_start);
        var held = new HeldResponses();
        await using var harness = EngineHarness.Create(held.Respond, time: time);

        var before = harness.Message("before the flush");
        var beforeSend = await held.NextAsync();
        var flush = harness.Engine.FlushAsync(TimeSpan.FromMilliseconds(timeoutMs), CancellationToken.None).AsTask();
        var after = harness.Message("after the flush");
        beforeSend.SetResult(new TransportResponse(200));

        // The later envelope goes out once the earlier one is answered, and stays unanswered. The flush's second part
        // (the pending client reports, which do not decide its result) waits for the sends under way, at most 10 s, also
        // without a timeout: then true, all that was reported before it having been delivered (false, or no end without
        // a timeout, if it waited for the later one).
        var afterSend = await held.NextAsync();
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(await flush.WaitAsync(EngineHarness.Timeout));
        Assert.False(afterSend.Task.IsCompleted);
        Assert.Equal([before.ToString(), after.ToString()], harness.Transport.Attempts.Select(a => a.Envelope.HeaderEventId));
        Assert.Equal(1, harness.Counters.Delivered);
        afterSend.SetResult(new TransportResponse(200));
        await harness.FlushAsync();
        Assert.Equal(2, harness.Counters.Delivered);
    }

    [Fact]
    public async Task Send_EveryAttempt_CarriesAFreshSentAt()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(TransportResponse.Failed(new HttpRequestException("Connection reset")));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        harness.Message("sent twice");
        await harness.WaitForAttemptsAsync(1);
        var retryAt = await harness.AdvanceToNextLookAsync();
        await harness.FlushAsync();

        var sentAt = harness.Transport.Attempts.Select(a => a.Envelope.Header.GetProperty("sent_at").GetDateTimeOffset()).ToList();
        Assert.Equal([s_start, retryAt], sentAt);
        Assert.All(harness.Transport.Attempts, a => Assert.Single(a.Envelope.Header.EnumerateObject(), p => p.Name == "sent_at"));
    }

    [Fact]
    public async Task Send_DiscardsWithNothingToRideAlong_GoAloneAfterTenSeconds()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(400, Detail: "bad"));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        harness.Message("rejected");
        await harness.WaitForAttemptsAsync(1);
        Assert.Equal(s_start + TimeSpan.FromSeconds(10), await harness.AdvanceToNextLookAsync());
        var report = (await harness.WaitForAttemptsAsync(2))[1];

        Assert.Null(report.Envelope.HeaderEventId);
        Assert.Equal(["client_report"], report.Envelope.ItemTypes);
        Assert.Equal([("send_error", "error", 1L)], report.Envelope.Discards);
        await Conformance.AssertValidAsync(report.Bytes);
    }

    [Fact]
    public async Task Send_ClientReportWhoseSendGotNoResponse_IsSentAgainAndCountedOnce()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(new TransportResponse(400, Detail: "bad"), TransportResponse.Failed(new HttpRequestException("Connection reset")));
        await using var harness = EngineHarness.Create(script.Next, time: time);

        harness.Message("rejected");
        harness.Message("carries the report, then retried");
        await harness.WaitForAttemptsAsync(2);
        await harness.AdvanceToNextLookAsync();
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(3, attempts.Count);
        Assert.Equal(1, attempts[1].Envelope.Discarded("send_error"));
        Assert.Equal(1, attempts[2].Envelope.Discarded("send_error"));
        Assert.Equal(1, attempts.Where(a => a.Envelope.HeaderEventId is not null).Last().Envelope.Discarded("send_error"));
    }

    [Fact]
    public async Task Capture_TransactionsFillTheirLane_ErrorEventsAreStillAccepted()
    {
        var held = new HeldResponses();
        await using var harness = EngineHarness.Create(held.Respond, o => o.MaxQueueItems = 100);

        for (var i = 0; i < 2000; i++)
        {
            harness.Client.CaptureTransaction(Transaction($"t{i}"));
        }

        var errors = Enumerable.Range(0, 20).Select(i => harness.Client.CaptureException(Exceptions.Thrown(new InvalidOperationException($"e{i}")))).ToList();
        held.AnswerAllFromNowOn(new TransportResponse(200));
        await harness.FlushAsync();

        Assert.DoesNotContain(SentryId.Empty, errors);
        var delivered = harness.Transport.Attempts.Select(a => a.Envelope.HeaderEventId).ToHashSet();
        Assert.All(errors, id => Assert.Contains(id.ToString(), delivered));
        Assert.True(harness.Counters.Dropped(DiscardReason.QueueOverflow) >= 1900, $"{harness.Counters.Dropped(DiscardReason.QueueOverflow)} transactions refused.");
        Assert.Equal(harness.Counters.Reported, harness.Counters.Delivered + harness.Counters.DroppedTotal + harness.Engine.QueuedItems);
    }

    [Fact]
    public async Task Send_SdksClientReportOnFailedAttempt_IsSentAgainWithTheRetry()
    {
        var time = new FakeTimeProvider(s_start);
        var script = new ResponseScript(TransportResponse.Failed(new HttpRequestException("Connection reset")));
        await using var harness = EngineHarness.Create(script.Next, o => o.SetBeforeSend(e => e.Message?.Message == "drop" ? null : e), time);

        Assert.Equal(SentryId.Empty, harness.Message("drop"));
        harness.Message("keep");
        await harness.WaitForAttemptsAsync(1);
        await harness.AdvanceToNextLookAsync();
        await harness.FlushAsync();

        var attempts = harness.Transport.Attempts;
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal([("before_send", "error", 1L)], a.Envelope.Discards));
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
        Assert.Equal([("before_send", "error", 2L)], attempt.Envelope.Discards);
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
    public async Task Send_EnvelopesOfEveryKind_GoThroughTheEngine()
    {
        await using var harness = EngineHarness.Create();

        harness.Client.CaptureException(Exceptions.Thrown(new InvalidOperationException()));
        harness.Message("message");
        harness.Client.CaptureTransaction(Transaction("a transaction"));
        harness.Client.CaptureSession(new SessionUpdate(SentryId.Create(), "u-1", DateTimeOffset.UtcNow, "release@1", "test", null, null, 0, true, DateTimeOffset.UtcNow, 0, SessionEndStatus.Exited));
        harness.Client.CaptureCheckIn("nightly", CheckInStatus.Ok);
        await harness.FlushAsync();

        var types = harness.Transport.Attempts.SelectMany(a => a.Envelope.ItemTypes).ToList();
        Assert.Equal(2, types.Count(t => t == "event"));
        Assert.Contains("transaction", types);
        Assert.Contains("session", types);
        Assert.Contains("check_in", types);
        Assert.Equal(5, harness.Counters.Delivered);
    }

    private static SentryTransaction Transaction(string name) => new(name, "test.op");

    /// <summary>Answers each send when the test says so: every attempt waits on a completion source of its own.</summary>
    private sealed class HeldResponses
    {
        private readonly Queue<TaskCompletionSource<TransportResponse>> _pending = new();
        private readonly List<int> _unanswered = [];
        private TransportResponse? _always;

        /// <summary>Gets or sets how many sends the sender has under way (read when a send begins).</summary>
        public Func<int>? InFlight { get; set; }

        /// <summary>Gets, for each send, how many sends were under way (itself included) when it began.</summary>
        public IReadOnlyList<int> UnansweredAtEachSend
        {
            get
            {
                lock (_pending)
                {
                    return [.. _unanswered];
                }
            }
        }

        public Task<TransportResponse> Respond(TransportAttempt attempt)
        {
            lock (_pending)
            {
                if (_always is { } always)
                {
                    return Task.FromResult(always);
                }

                var response = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending.Enqueue(response);
                _unanswered.Add((InFlight?.Invoke() ?? 0) + 1);
                return response.Task;
            }
        }

        public bool TryNext(out TaskCompletionSource<TransportResponse> response)
        {
            lock (_pending)
            {
                return _pending.TryDequeue(out response!);
            }
        }

        public Task<TaskCompletionSource<TransportResponse>> NextAsync()
            => Wait.ForAsync(() => TryNext(out var next) ? next : null, "a send to answer");

        /// <summary>Answers the held sends and every later one with <paramref name="response"/>.</summary>
        public void AnswerAllFromNowOn(TransportResponse response)
        {
            lock (_pending)
            {
                _always = response;
                while (_pending.TryDequeue(out var held))
                {
                    held.SetResult(response);
                }
            }
        }
    }
}
