namespace ErrorReporting;

/// <summary>
/// Reports errors and messages to Sentry. The report methods return at once: the event is built,
/// serialized and delivered by a background worker.
/// </summary>
/// <remarks>
/// <para>
/// Report methods never throw because of the backend or the data (network errors, HTTP errors, odd exceptions);
/// they throw only <see cref="ArgumentNullException"/> for <see langword="null"/> arguments.
/// </para>
/// <para>
/// The returned <see cref="SentryEventId"/> is the <c>event_id</c> the event carries on the wire, so a user can
/// quote it and support can find the event. It is <see cref="SentryEventId.Empty"/> when the report was not
/// accepted: the reporter is disabled, the event was sampled out, or the queue was full (counted, see the
/// README's "Delivery guarantees"). Reporting the same exception object a second time returns the first id and
/// sends nothing new.
/// </para>
/// </remarks>
public interface IErrorReporter
{
    /// <summary>
    /// Gets a value indicating whether reports are sent anywhere. <see langword="false"/> when no DSN is configured.
    /// </summary>
    bool IsEnabled { get; }

    /// <summary>
    /// Reports an exception that the application caught and handled. The event is marked <c>handled: yes</c>.
    /// </summary>
    /// <param name="exception">The exception to report.</param>
    /// <param name="level">The event level. The default is <see cref="SentryLevel.Error"/>.</param>
    /// <param name="context">Optional per-call tags, extra data, user and fingerprint. Do not modify it after the call: it is read on the background worker.</param>
    /// <returns>The event id on the wire, or <see cref="SentryEventId.Empty"/> when the report was not accepted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    SentryEventId ReportHandled(Exception exception, SentryLevel level = SentryLevel.Error, ReportContext? context = null);

    /// <summary>
    /// Reports an exception that nobody handled, such as one caught by a global handler. The event is marked
    /// <c>handled: no</c> with the given mechanism type.
    /// </summary>
    /// <param name="exception">The exception to report.</param>
    /// <param name="mechanism">
    /// The mechanism that caught the exception, shown by Sentry as the <c>mechanism</c> tag
    /// (for example <c>"AppDomain.UnhandledException"</c>). It is trimmed and inner whitespace is replaced by <c>_</c>;
    /// an empty or blank value becomes <c>"unhandled"</c>.
    /// </param>
    /// <param name="level">The event level. The default is <see cref="SentryLevel.Error"/>.</param>
    /// <param name="context">Optional per-call tags, extra data, user and fingerprint. Do not modify it after the call: it is read on the background worker.</param>
    /// <returns>The event id on the wire, or <see cref="SentryEventId.Empty"/> when the report was not accepted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> or <paramref name="mechanism"/> is <see langword="null"/>.</exception>
    SentryEventId ReportUnhandled(Exception exception, string mechanism, SentryLevel level = SentryLevel.Error, ReportContext? context = null);

    /// <summary>
    /// Reports a message (no exception).
    /// </summary>
    /// <param name="message">The message text. Sentry keeps the first 8,192 characters.</param>
    /// <param name="level">The event level. The default is <see cref="SentryLevel.Info"/>.</param>
    /// <param name="context">Optional per-call tags, extra data, user and fingerprint. Do not modify it after the call: it is read on the background worker.</param>
    /// <returns>The event id on the wire, or <see cref="SentryEventId.Empty"/> when the report was not accepted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    SentryEventId ReportMessage(string message, SentryLevel level = SentryLevel.Info, ReportContext? context = null);

    /// <summary>
    /// Waits until everything reported before this call was handed to the server or definitively dropped (and counted).
    /// </summary>
    /// <param name="timeout">How long to wait at most. <see cref="Timeout.InfiniteTimeSpan"/> waits without limit.</param>
    /// <param name="cancellationToken">Cancels the wait (not the delivery).</param>
    /// <returns><see langword="true"/> when everything was delivered or dropped within <paramref name="timeout"/>; otherwise <see langword="false"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>; with the enabled reporter, also
    /// when it is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
