using ErrorReporting.Reporting;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Reporting;

/// <summary>
/// The caller's thread allocates nothing per report. Allocation counts are deterministic, so they are asserted here;
/// times are measured by the benchmarks, never asserted.
/// </summary>
public sealed class AllocationTests
{
    private const int Calls = 10_000;

    [Fact]
    public void Report_DisabledReporter_AllocatesNothing()
    {
        var reporter = DisabledErrorReporter.Instance;
        var exception = new InvalidOperationException();
        reporter.ReportHandled(exception);
        reporter.ReportMessage("warm-up");

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            reporter.ReportHandled(exception);
            reporter.ReportMessage("text");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task ReportHandled_EnabledReporter_AllocatesNothingOnCallerThread()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 2 * Calls);
        var exceptions = Enumerable.Range(0, Calls + 1).Select(_ => new InvalidOperationException()).ToArray();
        harness.Reporter.ReportHandled(exceptions[Calls]);

        var allocated = MeasureOnThisThread(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportHandled(exceptions[i]);
            }
        });

        Assert.Equal(0, allocated);
        await harness.FlushAsync();
        Assert.Equal(Calls + 1, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task ReportMessage_EnabledReporter_AllocatesNothingOnCallerThread()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 2 * Calls);
        harness.Reporter.ReportMessage("warm-up");

        var allocated = MeasureOnThisThread(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportMessage("text");
            }
        });

        Assert.Equal(0, allocated);
        await harness.FlushAsync();
        Assert.Equal(Calls + 1, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task ReportHandled_WithContext_AllocatesNothingBeyondTheCallersContext()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 2 * Calls);
        var context = new ReportContext { Tags = { ["a"] = "1", ["b"] = "2", ["c"] = "3" } };
        var exceptions = Enumerable.Range(0, Calls).Select(_ => new InvalidOperationException()).ToArray();
        harness.Reporter.ReportMessage("warm-up", context: context);

        var allocated = MeasureOnThisThread(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportHandled(exceptions[i], context: context);
            }
        });

        Assert.Equal(0, allocated);
    }

    private static long MeasureOnThisThread(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
