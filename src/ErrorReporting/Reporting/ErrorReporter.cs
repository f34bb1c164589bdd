using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Sentry.Protocol;

namespace ErrorReporting.Reporting;

/// <summary>
/// The enabled reporter: marks the exception (handled or not, mechanism), lets the SDK's hub build and capture the
/// event on the caller's thread, and remembers the id so that the same exception object is never reported twice.
/// </summary>
internal sealed class ErrorReporter : IErrorReporter
{
    private readonly IHub _hub;
    private readonly ReportedExceptions _reported;
    private readonly IDeliveryFlush _flush;
    private readonly ILogger _logger;

    public ErrorReporter(IHub hub, ReportedExceptions reported, IDeliveryFlush flush, ILogger logger)
    {
        _hub = hub;
        _reported = reported;
        _flush = flush;
        _logger = logger;
    }

    public bool IsEnabled => _hub.IsEnabled;

    public SentryId ReportHandled(Exception exception, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return ReportException(exception, mechanism: null, configureScope);
    }

    public SentryId ReportUnhandled(Exception exception, string mechanism, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(mechanism);
        return ReportException(exception, Mechanisms.Normalize(mechanism), configureScope);
    }

    public SentryId ReportMessage(string message, SentryLevel level = SentryLevel.Info, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Capture(new SentryEvent { Message = message, Level = level }, configureScope);
    }

    public ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        FlushTimeout.ThrowIfInvalid(timeout);
        return _flush.FlushAsync(timeout, cancellationToken);
    }

    /// <summary>Reports an exception: unhandled with <c>mechanism</c>, or handled when it is <see langword="null"/>.</summary>
    private SentryId ReportException(Exception exception, string? mechanism, Action<Scope>? configureScope)
    {
        if (_reported.TryGetEventId(exception, out var first))
        {
            return first;
        }

        var sentryEvent = HostileExceptions.AreReadable(exception) && Mark(exception, mechanism)
            ? new SentryEvent(exception)
            : HostileExceptions.Describe(exception, mechanism);
        var eventId = Capture(sentryEvent, configureScope);
        if (eventId != SentryId.Empty)
        {
            _reported.Add(exception, eventId);
        }

        return eventId;
    }

    /// <summary>
    /// Marks the exception the way the SDK reads it (<see cref="Exception.Data"/> keys that its exception processor
    /// removes again): handled, or unhandled and not terminal with the mechanism type. Returns <see langword="false"/>
    /// when its <see cref="Exception.Data"/> cannot be written (a custom exception).
    /// </summary>
    private bool Mark(Exception exception, string? mechanism)
    {
        try
        {
            if (mechanism is null)
            {
                exception.Data[Mechanism.HandledKey] = true;
            }
            else
            {
                exception.SetSentryMechanism(mechanism, description: null, handled: false, terminal: false);
            }

            return true;
        }
        catch (Exception failure)
        {
            // A custom exception whose Data is read-only: the reporter describes it itself.
            Log.MarkFailed(_logger, failure, exception.GetType().FullName);
            return false;
        }
    }

    private SentryId Capture(SentryEvent sentryEvent, Action<Scope>? configureScope)
    {
        try
        {
            return configureScope is null ? _hub.CaptureEvent(sentryEvent) : _hub.CaptureEvent(sentryEvent, configureScope);
        }
        catch (Exception failure)
        {
            // The SDK's hub does not throw; a hub of another kind might.
            Log.CaptureFailed(_logger, failure);
            return SentryId.Empty;
        }
    }
}
