using System.Diagnostics;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// Many reports from many threads through <see cref="IErrorReporter"/> and the real SDK: each arrives exactly once, or
/// is dropped and counted (that no report call waits for the network is BadInputTests'; the durations are only printed
/// here). The accounting is read as dotnet-counters or OpenTelemetry would, through the <c>ErrorReporting</c> meter.
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class DeliveryLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Load_EightThreadsQueueOfTwentyThousand_DeliversTheTenThousandReturnedIdsExactlyOnce()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.MaxQueueItems = 20_000);

        var returned = await ReportConcurrentlyAsync(harness.Reporter, Batches());
        await harness.FlushAsync();
        output.WriteLine(returned.Describe());

        var ids = returned.Ids;
        Assert.DoesNotContain(SentryId.Empty, ids);
        Assert.Equal(10_000, ids.Distinct().Count());
        Assert.Equal(ids.Select(id => id.ToString()).Order(), harness.Server.Events.Select(e => e.EventId).Order());
        Assert.Empty(harness.Server.Rejections);
    }

    [Fact]
    public async Task Load_EightThreadsSmallQueue_ReceivedPlusDroppedIsExactlyTenThousand()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.MaxQueueItems = 50);
        var counters = harness.Engine.Counters;

        var returned = await ReportConcurrentlyAsync(harness.Reporter, Batches());
        await harness.FlushAsync();

        var accepted = returned.Ids.Where(id => id != SentryId.Empty).Select(id => id.ToString()).ToList();
        var dropped = counters.Dropped(DiscardReason.QueueOverflow);
        Assert.True(dropped > 0, "The small queue never overflowed; the test proves nothing.");
        Assert.Equal(10_000, harness.Server.Events.Count + dropped);
        Assert.Equal(accepted.Order(), harness.Server.Events.Select(e => e.EventId).Order());

        // Not a timed assertion (BadInputTests proves that no call waits for the network); the maximum is printed for the record.
        output.WriteLine(returned.Describe());
    }

    /// <summary>
    /// Issue 19, "errors first": a flood of transactions fills the bulk lane, and the errors reported right after it
    /// are still accepted (one shared queue, the SDK's worker included, returned <see cref="SentryId.Empty"/> for them).
    /// </summary>
    [Fact]
    public async Task Capture_TwoThousandTransactionsThenTwentyErrorsWithAQueueOfHundred_EveryErrorAcceptedAndDeliveredOnceRefusedTransactionsCounted()
    {
        const int Transactions = 2_000;
        await using var harness = await SdkHarness.StartAsync(o =>
        {
            o.TracesSampleRate = 1;
            o.MaxQueueItems = 100;
        });
        var counters = harness.Engine.Counters;

        for (var i = 0; i < Transactions; i++)
        {
            SentrySdk.StartTransaction($"transaction {i}", "load").Finish();
        }

        var errors = Enumerable.Range(0, 20).Select(i => harness.Reporter.ReportHandled(new InvalidOperationException($"after the transactions {i}"))).ToList();
        await harness.FlushAsync();

        Assert.DoesNotContain(SentryId.Empty, errors);
        Assert.Equal(errors.Select(id => id.ToString()).Order(), harness.Server.Events.Select(e => e.EventId).Order());
        var delivered = harness.Server.Envelopes.Count(e => e.Items.Any(item => item.Type == "transaction"));
        var refused = Transactions - delivered;
        Assert.True(refused > 0, "No transaction was refused: the flood never filled its lane, so the test proves nothing.");
        Assert.Equal(refused, counters.Dropped(DiscardReason.QueueOverflow));
        var reports = await harness.Server.WaitForClientReportsAsync(r => r.Sum(x => x.Quantity("queue_overflow")) >= 2 * refused, SdkHarness.Timeout);
        Assert.Equal(refused, reports.Sum(r => r.Quantity("queue_overflow", "transaction")));
        Assert.Equal(refused, reports.Sum(r => r.Quantity("queue_overflow", "span")));
        Assert.Equal(2 * refused, reports.Sum(r => r.Quantity("queue_overflow")));
    }

    [Fact]
    public async Task Metrics_AfterMixedOutcomes_ReportedEqualsDeliveredPlusDroppedPlusQueued()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.MaxQueueItems = 5);
        harness.Server.Faults.Enqueue(Testing.FaultResponse.Status(400), Testing.FaultResponse.Status(503));
        var meter = await Wait.ForAsync(() => harness.Engine.Pipeline?.Meter, "the engine's meter");
        using var reported = new MetricCollector<long>(meter, "errorreporting.envelopes.reported");
        using var delivered = new MetricCollector<long>(meter, "errorreporting.envelopes.delivered");
        using var dropped = new MetricCollector<long>(meter, "errorreporting.envelopes.dropped");
        using var queued = new MetricCollector<long>(meter, "errorreporting.envelopes.queued");
        using var retries = new MetricCollector<long>(meter, "errorreporting.send.retries");

        var results = new List<SentryId>();
        for (var i = 0; i < 40; i++)
        {
            results.Add(i % 2 == 0 ? harness.Reporter.ReportMessage($"message {i}") : SentrySdk.CaptureMessage($"direct {i}"));
        }

        await harness.FlushAsync();
        foreach (var collector in new[] { reported, delivered, dropped, queued, retries })
        {
            collector.RecordObservableInstruments();
        }

        var droppedByReason = dropped.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["reason"]!).ToDictionary(g => g.Key, g => g.Last().Value);
        var reportedValue = reported.LastMeasurement!.Value;
        Assert.True(reportedValue >= 40, $"reported = {reportedValue}: every envelope the SDK handed over counts (client reports included).");
        Assert.Equal(0, queued.LastMeasurement!.Value);
        Assert.Equal(reportedValue, delivered.LastMeasurement!.Value + droppedByReason.Values.Sum() + queued.LastMeasurement.Value);
        // A client report the engine sends alone (at the flush, when no envelope was left to carry it) is no envelope
        // of the SDK's: not delivered in the meter's sense.
        Assert.Equal(harness.Server.Envelopes.Count(e => e.Items.Any(i => i.Type != "client_report")), delivered.LastMeasurement.Value);
        Assert.Equal(2, droppedByReason["send_error"]);
        Assert.Equal(results.Count(id => id == SentryId.Empty), droppedByReason["queue_overflow"]);
        Assert.Equal(0, retries.LastMeasurement!.Value);
    }

    private static InvalidOperationException[][] Batches()
        => [.. Enumerable.Range(0, 8).Select(t => Enumerable.Range(0, 1250).Select(i => new InvalidOperationException($"t{t} #{i}")).ToArray())];

    private static async Task<LoadResult> ReportConcurrentlyAsync(IErrorReporter reporter, InvalidOperationException[][] perThread)
    {
        using var start = new Barrier(perThread.Length);
        var pausedBefore = GC.GetTotalPauseDuration();
        var results = await Task.WhenAll(perThread.Select(batch => Task.Factory.StartNew(
            () =>
            {
                var ids = new List<SentryId>(batch.Length);
                var ticks = new long[batch.Length];
                start.SignalAndWait();
                for (var i = 0; i < batch.Length; i++)
                {
                    var before = Stopwatch.GetTimestamp();
                    ids.Add(reporter.ReportHandled(batch[i]));
                    ticks[i] = Stopwatch.GetTimestamp() - before;
                }

                return (ids, ticks);
            },
            TaskCreationOptions.LongRunning))).WaitAsync(SdkHarness.Timeout);
        var calls = results.SelectMany(r => r.ticks).Order().Select(t => Stopwatch.GetElapsedTime(0, t)).ToArray();
        return new([.. results.SelectMany(r => r.ids)], calls, GC.GetTotalPauseDuration() - pausedBefore);
    }

    /// <summary>The returned ids, each call's duration (sorted), and the GC's pauses while the threads reported.</summary>
    private sealed record LoadResult(List<SentryId> Ids, TimeSpan[] SortedCalls, TimeSpan GcPauses)
    {
        public string Describe()
            => $"Report calls: {SortedCalls.Length:N0}; median {At(0.5).TotalMicroseconds:N0} µs, p99 {At(0.99).TotalMicroseconds:N0} µs, "
                + $"longest {SortedCalls[^1].TotalMilliseconds:0.000} ms; GC pauses while reporting: {GcPauses.TotalMilliseconds:N0} ms in total "
                + $"(8 threads on {Environment.ProcessorCount} cores: the longest call includes being descheduled and GC pauses; a call that waited "
                + $"for the network would wait up to SendTimeout, {ErrorReportingOptions.DefaultSendTimeout.TotalSeconds:0} s, and BadInputTests proves none does).";

        private TimeSpan At(double quantile) => SortedCalls[(int)Math.Min(SortedCalls.Length - 1, quantile * SortedCalls.Length)];
    }
}
