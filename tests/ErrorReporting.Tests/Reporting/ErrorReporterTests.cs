using ErrorReporting.Reporting;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using Sentry.Protocol;

namespace ErrorReporting.Tests.Reporting;

/// <summary>
/// The reporter at the hub seam: what it hands the SDK's <see cref="IHub"/> (the event, the handled marker and the
/// mechanism in the SDK's <c>Exception.Data</c> keys, the level and message, the scope callback) and that the id it
/// returns is the id the hub returned, <see cref="SentryId.Empty"/> included.
/// </summary>
public sealed class ErrorReporterTests
{
    private readonly IHub _hub = Substitute.For<IHub>();
    private readonly IDeliveryFlush _flush = Substitute.For<IDeliveryFlush>();
    private readonly ErrorReporter _reporter;
    private readonly List<Captured> _captured = [];

    public ErrorReporterTests()
    {
        _hub.IsEnabled.Returns(true);
        _reporter = new ErrorReporter(_hub, new ReportedExceptions(), _flush, NullLogger.Instance);
        _hub.CaptureEvent(Arg.Any<SentryEvent>(), Arg.Any<Scope?>(), Arg.Any<SentryHint?>())
            .Returns(call => Record(call.Arg<SentryEvent>(), configureScope: null));
        _hub.CaptureEvent(Arg.Any<SentryEvent>(), Arg.Any<Action<Scope>>())
            .Returns(call => Record(call.Arg<SentryEvent>(), call.Arg<Action<Scope>>()));
    }

    [Fact]
    public void ReportHandled_Exception_CapturesItMarkedHandledAndReturnsTheHubsId()
    {
        var exception = Exceptions.Thrown(new InvalidOperationException("boom"));

        var id = _reporter.ReportHandled(exception);

        var captured = Assert.Single(_captured);
        Assert.Same(exception, captured.Event.Exception);
        Assert.Equal(true, captured.Handled);
        Assert.Null(captured.Mechanism);
        Assert.Equal(captured.Event.EventId, id);
    }

    [Fact]
    public void ReportUnhandled_Mechanism_CapturesItMarkedUnhandledNotTerminalWithTheMechanism()
    {
        var exception = Exceptions.Thrown(new InvalidOperationException("boom"));

        var id = _reporter.ReportUnhandled(exception, "Worker.Loop");

        var captured = Assert.Single(_captured);
        Assert.Equal(false, captured.Handled);
        Assert.Equal("Worker.Loop", captured.Mechanism);
        Assert.Equal(false, captured.Terminal);
        Assert.Equal(captured.Event.EventId, id);
    }

    [Theory]
    [InlineData("  Worker Loop\t", "Worker_Loop")]
    [InlineData("", "unhandled")]
    [InlineData(" \t ", "unhandled")]
    public void ReportUnhandled_MechanismWithWhitespace_IsNormalisedBeforeCapture(string mechanism, string expected)
    {
        _reporter.ReportUnhandled(new InvalidOperationException(), mechanism);

        Assert.Equal(expected, Assert.Single(_captured).Mechanism);
    }

    [Theory]
    [InlineData(SentryLevel.Info)]
    [InlineData(SentryLevel.Warning)]
    [InlineData(SentryLevel.Fatal)]
    public void ReportMessage_TextAndLevel_CapturesAMessageEventWithThem(SentryLevel level)
    {
        var id = _reporter.ReportMessage("cache warmed", level);

        var captured = Assert.Single(_captured);
        Assert.Null(captured.Event.Exception);
        Assert.Equal("cache warmed", captured.Event.Message?.Message);
        Assert.Equal(level, captured.Event.Level);
        Assert.Equal(captured.Event.EventId, id);
    }

    [Fact]
    public void ReportMessage_NoLevel_IsInfo()
    {
        _reporter.ReportMessage("hello");

        Assert.Equal(SentryLevel.Info, Assert.Single(_captured).Event.Level);
    }

    [Fact]
    public void ReportHandled_ScopeCallback_IsPassedToTheHubAsIs()
    {
        Action<Scope> configure = scope => scope.SetTag("order", "42");

        _reporter.ReportHandled(new InvalidOperationException(), configure);

        Assert.Same(configure, Assert.Single(_captured).ConfigureScope);
    }

    [Fact]
    public void ReportMessage_ScopeCallback_IsPassedToTheHubAsIs()
    {
        Action<Scope> configure = scope => scope.Level = SentryLevel.Warning;

        _reporter.ReportMessage("hello", SentryLevel.Info, configure);

        Assert.Same(configure, Assert.Single(_captured).ConfigureScope);
    }

    [Fact]
    public void ReportHandled_HubReturnsEmpty_ReturnsEmptyAndReportsAgainNextTime()
    {
        var exception = new InvalidOperationException();
        _hub.CaptureEvent(Arg.Any<SentryEvent>(), Arg.Any<Scope?>(), Arg.Any<SentryHint?>())
            .Returns(call => { Record(call.Arg<SentryEvent>(), null); return SentryId.Empty; });

        Assert.Equal(SentryId.Empty, _reporter.ReportHandled(exception));
        Assert.Equal(SentryId.Empty, _reporter.ReportHandled(exception));

        Assert.Equal(2, _captured.Count);
    }

    [Fact]
    public void ReportUnhandled_AfterReportHandled_ReturnsTheFirstIdAndCapturesNothingNew()
    {
        var exception = Exceptions.Thrown(new FormatException("reported, then rethrown"));

        var first = _reporter.ReportHandled(exception);
        var second = _reporter.ReportUnhandled(exception, "AppDomain.UnhandledException");

        Assert.Equal(first, second);
        Assert.Equal(true, Assert.Single(_captured).Handled);
    }

    [Fact]
    public void ReportHandled_AggregateOfAReportedException_ReturnsTheInnerId()
    {
        var inner = new TimeoutException();
        var first = _reporter.ReportHandled(inner);

        var id = _reporter.ReportUnhandled(new AggregateException(new AggregateException(inner)), "UnobservedTaskException");

        Assert.Equal(first, id);
        Assert.Single(_captured);
    }

    [Fact]
    public void ReportHandled_HubThrows_ReturnsEmptyWithoutThrowing()
    {
        _hub.CaptureEvent(Arg.Any<SentryEvent>(), Arg.Any<Scope?>(), Arg.Any<SentryHint?>()).Throws(new InvalidOperationException("broken hub"));

        Assert.Equal(SentryId.Empty, _reporter.ReportHandled(new InvalidOperationException()));
    }

    [Fact]
    public void ReportHandled_ExceptionWhoseDataThrows_IsStillCaptured()
    {
        var exception = new ThrowingDataException();

        var id = _reporter.ReportHandled(exception);

        Assert.Equal(Assert.Single(_captured).Event.EventId, id);
    }

    [Fact]
    public void ReportHandled_CallersDataEntries_AreKept()
    {
        var exception = new InvalidOperationException();
        exception.Data["order"] = 42;

        _reporter.ReportHandled(exception);

        Assert.Equal(42, exception.Data["order"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IsEnabled_Always_IsTheHubs(bool enabled)
    {
        _hub.IsEnabled.Returns(enabled);

        Assert.Equal(enabled, _reporter.IsEnabled);
    }

    [Fact]
    public async Task FlushAsync_Timeout_AsksTheDeliveryFlushAndReturnsItsAnswer()
    {
        _flush.FlushAsync(TimeSpan.FromSeconds(3), Arg.Any<CancellationToken>()).Returns(new ValueTask<bool>(false));

        Assert.False(await _reporter.FlushAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task FlushAsync_NegativeTimeout_Throws()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _reporter.FlushAsync(TimeSpan.FromSeconds(-2)).AsTask());
    }

    [Fact]
    public void ReportMethods_NullArguments_ThrowArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("exception", () => _reporter.ReportHandled(null!));
        Assert.Throws<ArgumentNullException>("exception", () => _reporter.ReportUnhandled(null!, "mechanism"));
        Assert.Throws<ArgumentNullException>("mechanism", () => _reporter.ReportUnhandled(new InvalidOperationException(), null!));
        Assert.Throws<ArgumentNullException>("message", () => _reporter.ReportMessage(null!));
        Assert.Empty(_captured);
    }

    private SentryId Record(SentryEvent sentryEvent, Action<Scope>? configureScope)
    {
        // The SDK reads (and removes) these Data keys while it captures; the substitute records them at that moment.
        var data = sentryEvent.Exception is ThrowingDataException ? null : sentryEvent.Exception?.Data;
        _captured.Add(new Captured(
            sentryEvent,
            configureScope,
            data?[Mechanism.HandledKey] as bool?,
            data?[Mechanism.MechanismKey] as string,
            data?[Mechanism.TerminalKey] as bool?));
        return sentryEvent.EventId;
    }

    private sealed record Captured(SentryEvent Event, Action<Scope>? ConfigureScope, bool? Handled, string? Mechanism, bool? Terminal);

    private sealed class ThrowingDataException : Exception
    {
        public override System.Collections.IDictionary Data => throw new InvalidOperationException("Data is broken");
    }
}
