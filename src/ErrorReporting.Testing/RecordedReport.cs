namespace ErrorReporting.Testing;

/// <summary>Which <see cref="IErrorReporter"/> method made a <see cref="RecordedReport"/>.</summary>
public enum RecordedReportKind
{
    /// <summary><see cref="IErrorReporter.ReportHandled"/>.</summary>
    Handled = 0,

    /// <summary><see cref="IErrorReporter.ReportUnhandled"/>.</summary>
    Unhandled = 1,

    /// <summary><see cref="IErrorReporter.ReportMessage"/>.</summary>
    Message = 2,
}

/// <summary>One call to a <see cref="RecordingErrorReporter"/>.</summary>
/// <param name="Kind">Which method was called.</param>
/// <param name="Exception">The reported exception, or <see langword="null"/> for a message.</param>
/// <param name="Message">The reported message text, or <see langword="null"/> for an exception.</param>
/// <param name="Level">
/// The event's level: the one the scope callback set, else the one passed to <see cref="IErrorReporter.ReportMessage"/>,
/// else <see cref="SentryLevel.Error"/> for an exception.
/// </param>
/// <param name="Mechanism">The mechanism passed to <see cref="IErrorReporter.ReportUnhandled"/> (as passed), or <see langword="null"/> for the other kinds.</param>
/// <param name="Scope">The scope the call's callback configured (a fresh <see cref="Sentry.Scope"/>, empty without a callback).</param>
/// <param name="EventId">The id returned to the caller (random, never <see cref="SentryId.Empty"/>).</param>
/// <param name="Timestamp">When the call was made, from the reporter's <see cref="TimeProvider"/>.</param>
public sealed record RecordedReport(
    RecordedReportKind Kind, Exception? Exception, string? Message, SentryLevel Level, string? Mechanism, Scope Scope, SentryId EventId, DateTimeOffset Timestamp)
{
    /// <summary>Gets a value indicating whether the report is marked handled: <see langword="false"/> only for <see cref="RecordedReportKind.Unhandled"/>.</summary>
    public bool Handled => Kind != RecordedReportKind.Unhandled;

    /// <summary>Gets the tags the call's scope callback set.</summary>
    public IReadOnlyDictionary<string, string> Tags => Scope.Tags;

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        RecordedReportKind.Message => $"{Kind} {Level}: {Message}",
        RecordedReportKind.Unhandled => $"{Kind} ({Mechanism}) {Level}: {Exception?.GetType().Name}: {Exception?.Message}",
        _ => $"{Kind} {Level}: {Exception?.GetType().Name}: {Exception?.Message}",
    };
}
