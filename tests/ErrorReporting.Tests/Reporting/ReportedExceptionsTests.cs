using ErrorReporting.Reporting;

namespace ErrorReporting.Tests.Reporting;

public sealed class ReportedExceptionsTests
{
    [Fact]
    public void TryGetEventId_InFlight_ReturnsRememberedId()
    {
        var reported = new ReportedExceptions(16);
        var exception = new InvalidOperationException();
        var id = Guid.NewGuid();

        reported.RememberInFlight(exception, id);

        Assert.True(reported.TryGetEventId(exception, out var found));
        Assert.Equal(id, found);
        Assert.False(reported.TryGetEventId(new InvalidOperationException(), out _));
    }

    [Fact]
    public void TryGetEventId_Processed_ReturnsIdAndFreesTheInFlightSlot()
    {
        var reported = new ReportedExceptions(16);
        var exception = new InvalidOperationException();
        var id = Guid.NewGuid();
        reported.RememberInFlight(exception, id);

        reported.MarkProcessed(exception, id);

        Assert.True(reported.TryGetEventId(exception, out var found));
        Assert.Equal(id, found);
    }

    [Fact]
    public void ForgetInFlight_NotEnqueued_IsNotReported()
    {
        var reported = new ReportedExceptions(16);
        var exception = new InvalidOperationException();
        reported.RememberInFlight(exception, Guid.NewGuid());

        reported.ForgetInFlight(exception);

        Assert.False(reported.TryGetEventId(exception, out _));
    }

    [Fact]
    public void TryGetEventId_AggregateContainingReported_ReturnsInnerId()
    {
        var reported = new ReportedExceptions(16);
        var inner = new InvalidOperationException();
        var id = Guid.NewGuid();
        reported.MarkProcessed(inner, id);

        Assert.True(reported.TryGetEventId(new AggregateException(new AggregateException(new TimeoutException(), inner)), out var found));
        Assert.Equal(id, found);
    }

    [Fact]
    public void MarkProcessed_ExceptionCollected_DoesNotKeepItAlive()
    {
        var reported = new ReportedExceptions(16);
        var weak = Report(reported);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(weak.IsAlive);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Report(ReportedExceptions reported)
    {
        var exception = new InvalidOperationException();
        reported.RememberInFlight(exception, Guid.NewGuid());
        reported.MarkProcessed(exception, Guid.NewGuid());
        return new WeakReference(exception);
    }
}
