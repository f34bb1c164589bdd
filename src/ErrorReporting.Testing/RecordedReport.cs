namespace ErrorReporting.Testing;

/// <summary>
/// Which <see cref="IErrorReporter"/> method made a <see cref="RecordedReport"/>.
/// </summary>
public enum RecordedReportKind
{
    /// <summary><see cref="IErrorReporter.ReportHandled"/>.</summary>
    Handled = 0,

    /// <summary><see cref="IErrorReporter.ReportUnhandled"/>.</summary>
    Unhandled = 1,

    /// <summary><see cref="IErrorReporter.ReportMessage"/>.</summary>
    Message = 2,
}

/// <summary>
/// One call to a <see cref="RecordingErrorReporter"/>.
/// </summary>
public sealed class RecordedReport
{
    internal RecordedReport(
        RecordedReportKind kind,
        Exception? exception,
        string? message,
        SentryLevel level,
        string? mechanism,
        Scope scope,
        SentryId eventId,
        DateTimeOffset timestamp)
    {
        Kind = kind;
        Exception = exception;
        Message = message;
        Level = level;
        Mechanism = mechanism;
        Scope = scope;
        EventId = eventId;
        Timestamp = timestamp;
    }

    /// <summary>Gets which method was called.</summary>
    public RecordedReportKind Kind { get; }

    /// <summary>Gets the reported exception, or <see langword="null"/> for a message.</summary>
    public Exception? Exception { get; }

    /// <summary>Gets the reported message text, or <see langword="null"/> for an exception.</summary>
    public string? Message { get; }

    /// <summary>
    /// Gets the event's level: the level the scope callback set, else the one passed to
    /// <see cref="IErrorReporter.ReportMessage"/>, else <see cref="SentryLevel.Error"/> for an exception.
    /// </summary>
    public SentryLevel Level { get; }

    /// <summary>
    /// Gets a value indicating whether the report is marked handled: <see langword="false"/> only for
    /// <see cref="RecordedReportKind.Unhandled"/>.
    /// </summary>
    public bool Handled => Kind != RecordedReportKind.Unhandled;

    /// <summary>Gets the mechanism passed to <see cref="IErrorReporter.ReportUnhandled"/> (as passed), or <see langword="null"/> for the other kinds.</summary>
    public string? Mechanism { get; }

    /// <summary>
    /// Gets the scope the call's callback configured (a fresh <see cref="Sentry.Scope"/>, empty when no callback was
    /// passed): its <see cref="Sentry.Scope.Tags"/>, <see cref="Sentry.Scope.Extra"/>, <see cref="Sentry.Scope.User"/>,
    /// <see cref="Sentry.Scope.Fingerprint"/>.
    /// </summary>
    public Scope Scope { get; }

    /// <summary>Gets the tags the call's scope callback set.</summary>
    public IReadOnlyDictionary<string, string> Tags => Scope.Tags;

    /// <summary>Gets the id returned to the caller (random, never <see cref="SentryId.Empty"/>).</summary>
    public SentryId EventId { get; }

    /// <summary>Gets when the call was made, from the reporter's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        RecordedReportKind.Message => $"{Kind} {Level}: {Message}",
        RecordedReportKind.Unhandled => $"{Kind} ({Mechanism}) {Level}: {Exception?.GetType().Name}: {Exception?.Message}",
        _ => $"{Kind} {Level}: {Exception?.GetType().Name}: {Exception?.Message}",
    };
}
