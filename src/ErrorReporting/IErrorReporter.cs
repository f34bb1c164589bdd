
namespace ErrorReporting;

/// <summary>
/// Reports errors and messages to Sentry through the official Sentry SDK's hub: every report is a Sentry event, built
/// by the SDK with its scope, contexts, breadcrumbs and trace, on the caller's thread; serializing and sending happen in
/// the background.
/// </summary>
/// <remarks>
/// <para>
/// Report methods throw only <see cref="ArgumentNullException"/> for <see langword="null"/> arguments. Nothing the
/// backend or the data can do (network and HTTP errors, exceptions whose getters throw, a callback that throws) makes
/// them throw or block.
/// </para>
/// <para>
/// The returned <see cref="SentryId"/> is the <c>event_id</c> the event carries on the wire, so a user can quote it and
/// support can find the event. It is <see cref="SentryId.Empty"/> when the report was not accepted: reporting is
/// disabled, the event was sampled out or dropped by a before-send callback or event processor, or the delivery queue
/// was full (counted). Reporting the same exception object a second time returns the first id and sends nothing new.
/// </para>
/// </remarks>
public interface IErrorReporter
{
    /// <summary>
    /// Gets a value indicating whether reports are sent anywhere: <see langword="false"/> when no DSN is configured
    /// (or the DSN is empty), and once the SDK was closed.
    /// </summary>
    bool IsEnabled { get; }

    /// <summary>
    /// Reports an exception that the application caught and handled: <c>mechanism.handled</c> is <see langword="true"/>,
    /// so Sentry tags the issue <c>handled:yes</c>.
    /// </summary>
    /// <param name="exception">The exception to report.</param>
    /// <param name="configureScope">
    /// Optional: sets per-call data on a copy of the current scope (tags, extra, user, level, fingerprint), as the SDK's
    /// <c>CaptureException(exception, configureScope)</c> does. It runs on the caller's thread before the call returns;
    /// if it throws, the exception is logged and nothing is reported.
    /// </param>
    /// <returns>The event id on the wire, or <see cref="SentryId.Empty"/> when the report was not accepted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    SentryId ReportHandled(Exception exception, Action<Scope>? configureScope = null);

    /// <summary>
    /// Reports an exception that nobody handled, such as one caught by a global handler: <c>mechanism.handled</c> is
    /// <see langword="false"/> and <c>mechanism.type</c> is <paramref name="mechanism"/>, so Sentry tags the issue
    /// <c>handled:no</c>. The report is not terminal: the session is marked unhandled, not crashed.
    /// </summary>
    /// <param name="exception">The exception to report.</param>
    /// <param name="mechanism">
    /// What caught the exception (for example <c>"Worker.Loop"</c>), shown by Sentry as the <c>mechanism</c> tag. It is
    /// trimmed and whitespace inside it becomes <c>_</c>; an empty or blank value becomes <c>"unhandled"</c>.
    /// </param>
    /// <param name="configureScope">Optional: sets per-call data on a copy of the current scope; see <see cref="ReportHandled"/>.</param>
    /// <returns>The event id on the wire, or <see cref="SentryId.Empty"/> when the report was not accepted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> or <paramref name="mechanism"/> is <see langword="null"/>.</exception>
    SentryId ReportUnhandled(Exception exception, string mechanism, Action<Scope>? configureScope = null);

    /// <summary>
    /// Reports a message (no exception).
    /// </summary>
    /// <param name="message">The message text.</param>
    /// <param name="level">The event level. The default is <see cref="SentryLevel.Info"/>.</param>
    /// <param name="configureScope">Optional: sets per-call data on a copy of the current scope; see <see cref="ReportHandled"/>.</param>
    /// <returns>The event id on the wire, or <see cref="SentryId.Empty"/> when the report was not accepted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    SentryId ReportMessage(string message, SentryLevel level = SentryLevel.Info, Action<Scope>? configureScope = null);

    /// <summary>
    /// Waits until everything reported before this call was delivered to the server or definitively dropped (and counted).
    /// </summary>
    /// <param name="timeout">How long to wait at most. <see cref="Timeout.InfiniteTimeSpan"/> waits without limit.</param>
    /// <param name="cancellationToken">Cancels the wait (not the delivery).</param>
    /// <returns>
    /// <see langword="true"/> when everything was delivered or dropped within <paramref name="timeout"/>; otherwise
    /// <see langword="false"/>. When the SDK sends through its own background worker rather than ErrorReporting's delivery
    /// engine, the SDK does not tell what was delivered: the result is then whether its flush ended before the timeout.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
