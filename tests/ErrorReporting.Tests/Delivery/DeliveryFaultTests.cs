using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// Sentry's transport rules over real HTTP (the SDK's envelopes, the engine's own transport, the fault-injecting
/// <see cref="SentryTestServer"/>): what the engine accepts reaches the server exactly once, or is discarded and
/// counted, and every discard reaches the server in a client report. No time is measured here: the delays (retries, the
/// backlog's pace, the end of a rate limit) are asserted on a fake clock by <see cref="EnvelopeSenderTests"/> and
/// <see cref="SendScheduleTests"/>; "after recovery" is a bounded wait, never a measured duration.
/// </summary>
public sealed class DeliveryFaultTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "errorreporting-fault-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Send_ConnectionRefusedThenListening_DeliversEveryEventExactlyOnceAfterRecovery()
    {
        var later = new LaterServer(new string('a', 32));
        await using var harness = EngineHarness.ForDsn(later.Dsn);
        var ids = Enumerable.Range(0, 20).Select(i => harness.Message($"while down {i}")).ToList();

        // Nothing listens (connection refused) until the engine has probed twice.
        await Wait.UntilAsync(() => harness.Counters.Retries >= 2, "two failed probes");
        await using var server = await later.StartAsync();
        await server.WaitForEventsAsync(20, s_bound);
        await harness.FlushAsync();

        Assert.Equal(ids.Select(id => id.ToString()).Order(), server.Events.Select(e => e.EventId).Order());
        Assert.Equal(20, harness.Counters.Delivered);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task Send_ServerErrors_DiscardEachEnvelopeThatMetOneAndNeverResendIt(int status)
    {
        await using var server = await SentryTestServer.StartAsync();
        var failing = 1;
        server.Faults.Handler = _ => Volatile.Read(ref failing) == 1 ? FaultResponse.Status(status) : null;
        await using var harness = EngineHarness.ForDsn(server.Dsn);

        var ids = Enumerable.Range(0, 10).Select(i => harness.Message($"through {status}s {i}")).ToList();
        await server.WaitForRequestsAsync(3, s_bound);
        Volatile.Write(ref failing, 0);
        await harness.FlushAsync();

        var requests = server.Requests;
        var discarded = requests.Count(r => r.StatusCode == status);
        Assert.Equal(3, discarded);
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
        // Of the envelopes with an event, only the one that met the 429 and the one reported after the window were sent.
        Assert.Equal([limited.ToString(), after.ToString()], requests.Where(r => r.EventId is not null).Select(r => r.EventId));
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
        await using var harness = EngineHarness.ForDsn(new LaterServer(new string('b', 32)).Dsn);

        harness.Message("kept");
        await Wait.UntilAsync(() => harness.Counters.Retries >= 1, "a failed attempt");
        var flushed = await harness.Engine.FlushAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None).AsTask().WaitAsync(EngineHarness.Timeout);

        Assert.False(flushed);
        Assert.Equal(1, harness.Engine.QueuedItems);
        Assert.Equal(0, harness.Counters.DroppedTotal);
    }

    [Fact]
    public async Task ClientReports_DiscardsOfEveryReasonOnTheCallersSide_ReachTheServerEachCountedOnce()
    {
        using var answerFirst = new ManualResetEventSlim();
        await using var server = await SentryTestServer.StartAsync();
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;
        server.Faults.Handler = _ =>
        {
            switch (Interlocked.Increment(ref requests))
            {
                case 1:
                    // Held until the test says so (the handler runs on the server's thread; a bound, never a fixed delay).
                    firstArrived.SetResult();
                    if (!answerFirst.Wait(s_bound))
                    {
                        throw new TimeoutException("The test never released the first request.");
                    }

                    return FaultResponse.Ok().WithHeader("X-Sentry-Rate-Limits", "60:transaction:organization");
                case 2:
                    return FaultResponse.Status(400, "{\"detail\":\"bad envelope\"}");
                default:
                    return null;
            }
        };
        await using var harness = EngineHarness.ForDsn(server.Dsn, o =>
        {
            o.MaxQueueItems = 2;
            o.SetBeforeSend(e => e.Message?.Message == "before-send drops it" ? null : e);
        });

        // 1 is sent (held unanswered, then answered announcing a limit on transactions), 2 waits; 3 to 5 find no room.
        var ids = Enumerable.Range(1, 5).Select(i => harness.Message($"message {i}")).ToList();
        await firstArrived.Task.WaitAsync(s_bound);
        Assert.Equal([SentryId.Empty, SentryId.Empty, SentryId.Empty], ids.Skip(2));
        answerFirst.Set();
        await server.WaitForEventsAsync(1, s_bound);

        // The server records the event just before it answers: the limit holds once the engine has read the answer.
        await Wait.UntilAsync(() => harness.Engine.RateLimits.IsAnyActive(DateTimeOffset.UtcNow), "the limit on transactions");
        harness.Client.CaptureTransaction(new SentryTransaction("limited", "test.op"));
        harness.Client.CaptureTransaction(new SentryTransaction("limited too", "test.op"));
        Assert.Equal(SentryId.Empty, harness.Message("before-send drops it"));
        await harness.FlushAsync();

        // 2 met the 400.
        Assert.Equal(ids[0].ToString(), Assert.Single(server.Events).EventId);
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("send_error")) == 1 && r.Sum(x => x.Quantity("before_send")) == 1, s_bound);
        var discards = Discards(reports);
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

        // Once: a further flush sends no count again.
        await harness.FlushAsync();
        Assert.Equal(discards, Discards(server.ClientReports));
    }

    [Fact]
    public async Task ClientReports_CacheOverflowAndUnreadableCacheFiles_ReachTheServerOnceItListens()
    {
        var later = new LaterServer(new string('f', 32));
        var folder = OfflineCache.Folder(_cache, later.Dsn);
        Directory.CreateDirectory(folder);
        CraftedCacheFiles.Write(Path.Combine(folder, "0000000000000000001-crafted" + DiskEnvelopeStore.Extension), "event-id-invalid");

        // A fake clock: after the first refused attempt, the engine waits for its retry until the test moves the clock,
        // so no envelope is being sent (none is protected from eviction) while the cache overflows.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = EngineHarness.ForDsn(
            later.Dsn,
            o =>
            {
                o.CacheDirectoryPath = _cache;
                o.MaxCacheItems = 2;
            },
            time);

        var ids = new List<SentryId> { harness.Message("while down 0") };
        await Wait.UntilAsync(() => harness.Counters.Retries == 1, "the first refused attempt");
        ids.AddRange(Enumerable.Range(1, 4).Select(i => harness.Message($"while down {i}")));
        await Wait.UntilAsync(() => harness.Counters.Dropped(DiscardReason.CacheOverflow) == 3, "three evictions");
        await using var server = await later.StartAsync();

        // The probe, then the second envelope of the backlog (paced).
        await harness.AdvanceToNextLookAsync();
        await server.WaitForEventsAsync(1, s_bound);
        await harness.AdvanceToNextLookAsync();
        await harness.FlushAsync();

        // The three oldest were evicted; the two newest reached the server.
        Assert.Equal([ids[3].ToString(), ids[4].ToString()], server.Events.Select(e => e.EventId));
        var reports = await server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("cache_overflow")) == 3, s_bound);
        Assert.Equal(3, reports.Sum(r => r.Quantity("cache_overflow", "error")));
        Assert.Equal(1, reports.Sum(r => r.Quantity("internal_sdk_error")));

        // Once: a further flush sends no count again.
        await harness.FlushAsync();
        Assert.Equal(3, server.ClientReports.Sum(r => r.Quantity("cache_overflow")));
        Assert.Equal(1, server.ClientReports.Sum(r => r.Quantity("internal_sdk_error")));
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

    /// <summary>Sums the client reports' discards by reason and category.</summary>
    private static Dictionary<(string? Reason, string? Category), long> Discards(IEnumerable<ReceivedClientReport> reports)
        => reports.SelectMany(r => r.DiscardedEvents).GroupBy(d => (d.Reason, d.Category)).ToDictionary(g => g.Key, g => g.Sum(d => d.Quantity));
}
