namespace ErrorReporting.Reporting;

/// <summary>What kind of report an entry is.</summary>
internal enum ReportKind : byte
{
    /// <summary><see cref="IErrorReporter.ReportHandled"/>: an exception with <c>handled: true</c>.</summary>
    Handled,

    /// <summary><see cref="IErrorReporter.ReportUnhandled"/>: an exception with <c>handled: false</c>.</summary>
    Unhandled,

    /// <summary><see cref="IErrorReporter.ReportMessage"/>.</summary>
    Message,
}

/// <summary>
/// Everything a report call captures on the caller's thread: references and scalars only, so that enqueuing it
/// copies a few words and allocates nothing. The worker builds the event from it.
/// </summary>
internal struct ReportEntry
{
    public Guid EventId;
    public long TimestampTicks;
    public Exception? Exception;
    public string? Message;
    public string? Mechanism;
    public ReportContext? Context;
    public ScopeState? Scope;
    public SentryLevel Level;
    public ReportKind Kind;

    public readonly DateTimeOffset Timestamp => new(TimestampTicks, TimeSpan.Zero);
}
