using System.Runtime.CompilerServices;
using ErrorReporting.Reporting;

namespace ErrorReporting.Tests.Reporting;

public sealed class ReportedExceptionsTests
{
    [Fact]
    public void TryGetEventId_Added_ReturnsTheId()
    {
        var reported = new ReportedExceptions();
        var exception = new InvalidOperationException();
        var id = SentryId.Create();

        reported.Add(exception, id);

        Assert.True(reported.TryGetEventId(exception, out var found));
        Assert.Equal(id, found);
        Assert.False(reported.TryGetEventId(new InvalidOperationException(), out _));
    }

    [Fact]
    public void Add_Twice_KeepsTheFirstId()
    {
        var reported = new ReportedExceptions();
        var exception = new InvalidOperationException();
        var first = SentryId.Create();

        reported.Add(exception, first);
        reported.Add(exception, SentryId.Create());

        Assert.True(reported.TryGetEventId(exception, out var found));
        Assert.Equal(first, found);
    }

    [Fact]
    public void TryGetEventId_AggregateContainingReported_ReturnsInnerId()
    {
        var reported = new ReportedExceptions();
        var inner = new InvalidOperationException();
        var id = SentryId.Create();
        reported.Add(inner, id);

        Assert.True(reported.TryGetEventId(new AggregateException(new AggregateException(new TimeoutException(), inner)), out var found));
        Assert.Equal(id, found);
    }

    [Fact]
    public void Add_ExceptionCollected_DoesNotKeepItAlive()
    {
        var reported = new ReportedExceptions();
        var weak = Report(reported);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(weak.IsAlive);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Report(ReportedExceptions reported)
    {
        var exception = new InvalidOperationException();
        reported.Add(exception, SentryId.Create());
        return new WeakReference(exception);
    }
}
