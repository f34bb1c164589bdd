using ErrorReporting.Reporting;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Reporting;

/// <summary>
/// The caller's thread allocates nothing per report. Allocation counts are deterministic, so they are asserted here;
/// times are measured by the benchmarks, never asserted.
/// </summary>
/// <remarks>
/// Each measurement follows an identical unmeasured round, so the runtime's one-off work on this thread (tiered JIT,
/// on-stack replacement of the loop) is done before counting. A round passes when <see cref="GC.GetAllocatedBytesForCurrentThread"/>
/// grows by exactly zero. That counter can, rarely, jump by part of an allocation quantum (a few KB) when a collection
/// triggered by other threads resets this thread's allocation context (dotnet/coreclr#10207; seen here only with other
/// test classes running in parallel, never in 600,000 calls measured alone). So up to three rounds are measured and one
/// must be exactly zero: an allocation in the path itself would show in every round.
/// </remarks>
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
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = (MeasuredRounds + 2) * Calls);
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
        Assert.Equal(harness.Enabled.Counters.Reported, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task ReportMessage_EnabledReporter_AllocatesNothingOnCallerThread()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = (MeasuredRounds + 2) * Calls);

        var allocated = MeasureSteadyState(_ =>
        {
            for (var i = 0; i < Calls; i++)
            {
                harness.Reporter.ReportMessage("text");
            }
        });

        Assert.Equal(0, allocated);
        await harness.FlushAsync();
        Assert.Equal(harness.Enabled.Counters.Reported, harness.Enabled.Counters.Delivered);
    }

    [Fact]
    public async Task ReportHandled_WithContext_AllocatesNothingBeyondTheCallersContext()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = (MeasuredRounds + 2) * Calls);
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

    private const int MeasuredRounds = 3;

    private static InvalidOperationException[] FreshExceptions()
        => [.. Enumerable.Range(0, (MeasuredRounds + 1) * Calls).Select(_ => new InvalidOperationException())];

    /// <summary>Runs round 0 unmeasured, then measured rounds until one allocates nothing; returns the smallest count.</summary>
    private static long MeasureSteadyState(Action<int> round)
    {
        round(0);
        var least = long.MaxValue;
        for (var measured = 1; measured <= MeasuredRounds && least != 0; measured++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            round(measured);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
