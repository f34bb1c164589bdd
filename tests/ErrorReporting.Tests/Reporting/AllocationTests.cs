using ErrorReporting.Reporting;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Reporting;

/// <summary>
/// The caller's thread allocates nothing per report. Allocation counts are deterministic, so they are asserted here;
/// times are measured by the benchmarks, never asserted. Each measurement follows an identical unmeasured round, so the
/// runtime's one-off work on this thread (tiered JIT, on-stack replacement of the loop) is done before counting.
/// </summary>
public sealed class AllocationTests
{
    private const int Calls = 10_000;

    [Fact]
    public void Report_DisabledReporter_AllocatesNothing()
    {
        var reporter = DisabledErrorReporter.Instance;
        var exception = new InvalidOperationException();

        var allocated = MeasureSteadyState(_ =>
        {
            for (var i = 0; i < Calls; i++)
            {
                reporter.ReportHandled(exception);
                reporter.ReportMessage("text");
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task ReportHandled_EnabledReporter_AllocatesNothingOnCallerThread()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 4 * Calls);
        var exceptions = FreshExceptions();

        var allocated = MeasureSteadyState(round =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportHandled(exceptions[(round * Calls) + i]);
            }
        });

        Assert.Equal(0, allocated);
        await harness.FlushAsync();
        Assert.Equal(2 * Calls, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task ReportMessage_EnabledReporter_AllocatesNothingOnCallerThread()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 4 * Calls);

        var allocated = MeasureSteadyState(_ =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportMessage("text");
            }
        });

        Assert.Equal(0, allocated);
        await harness.FlushAsync();
        Assert.Equal(2 * Calls, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task ReportHandled_WithContext_AllocatesNothingBeyondTheCallersContext()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 4 * Calls);
        var context = new ReportContext { Tags = { ["a"] = "1", ["b"] = "2", ["c"] = "3" } };
        var exceptions = FreshExceptions();

        var allocated = MeasureSteadyState(round =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportHandled(exceptions[(round * Calls) + i], context: context);
            }
        });

        Assert.Equal(0, allocated);
    }

    private static InvalidOperationException[] FreshExceptions()
        => [.. Enumerable.Range(0, 2 * Calls).Select(_ => new InvalidOperationException())];

    /// <summary>Runs round 0 unmeasured, then returns what round 1 allocated on this thread.</summary>
    private static long MeasureSteadyState(Action<int> round)
    {
        round(0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        round(1);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
