namespace ErrorReporting.Events;

/// <summary>
/// An event as it will be sent to Sentry, built on the background worker. <see cref="ErrorReportingOptions.BeforeSend"/>
/// receives it and may change it.
/// </summary>
public sealed class SentryEvent
{
    private Dictionary<string, string>? _tags;
    private Dictionary<string, object?>? _extra;
    private List<SentryExceptionValue>? _exceptions;
    private List<string>? _fingerprint;

    /// <summary>
    /// Initializes a new instance of the <see cref="SentryEvent"/> class.
    /// </summary>
    /// <param name="eventId">The event id.</param>
    /// <param name="timestamp">When the event happened.</param>
    /// <param name="exception">The reported exception, if any.</param>
    public SentryEvent(SentryEventId eventId, DateTimeOffset timestamp, Exception? exception = null)
    {
        EventId = eventId;
        Timestamp = timestamp;
        Exception = exception;
    }

    /// <summary>Gets the event id, the one the report call returned.</summary>
    public SentryEventId EventId { get; }

    /// <summary>Gets the time of the report.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Gets the reported .NET exception, or <see langword="null"/> for a message. It is not sent; <see cref="Exceptions"/> is.</summary>
    public Exception? Exception { get; }

    /// <summary>Gets or sets the level: the reported one, or <see cref="SentryLevel.Error"/> for a new instance.</summary>
    public SentryLevel Level { get; set; } = SentryLevel.Error;

    /// <summary>Gets or sets the message (<c>logentry.message</c>); set for message reports.</summary>
    public string? Message { get; set; }

    /// <summary>Gets the exception values: innermost first, the reported exception last (the one whose mechanism Sentry reads for <c>handled</c>).</summary>
    public IList<SentryExceptionValue> Exceptions => _exceptions ??= [];

    /// <summary>Gets the tags.</summary>
    public IDictionary<string, string> Tags => _tags ??= new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the extra data.</summary>
    public IDictionary<string, object?> Extra => _extra ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>Gets the fingerprint; empty for Sentry's default grouping.</summary>
    public IList<string> Fingerprint => _fingerprint ??= [];

    /// <summary>Gets or sets the user.</summary>
    public SentryUser? User { get; set; }

    /// <summary>Gets or sets the environment.</summary>
    public string? Environment { get; set; }

    /// <summary>Gets or sets the release.</summary>
    public string? Release { get; set; }

    /// <summary>Gets or sets the server name.</summary>
    public string? ServerName { get; set; }

    /// <summary>Gets or sets the operation during which the event happened, such as a route template (<c>transaction</c>).</summary>
    public string? Transaction { get; set; }

    /// <summary>Gets or sets the HTTP request during which the event happened.</summary>
    public SentryRequest? Request { get; set; }

    internal List<SentryExceptionValue>? ExceptionsOrNull => _exceptions;

    internal Dictionary<string, string>? TagsOrNull => _tags;

    internal Dictionary<string, object?>? ExtraOrNull => _extra;

    internal List<string>? FingerprintOrNull => _fingerprint;
}
