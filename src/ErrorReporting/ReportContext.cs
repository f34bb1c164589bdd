using ErrorReporting.Events;

namespace ErrorReporting;

/// <summary>
/// Per-call enrichment of a report: tags, extra data, user and fingerprint.
/// </summary>
/// <remarks>
/// <para>
/// A report without a context allocates nothing for it. The collections are created on first use, so a
/// collection initializer works: <c>new ReportContext { Tags = { ["order"] = "42" } }</c>.
/// </para>
/// <para>
/// The context is read on the background worker when the event is built: do not modify it after passing it to a
/// report call. A context that is not modified may be passed to any number of calls.
/// </para>
/// </remarks>
public sealed class ReportContext
{
    private Dictionary<string, string?>? _tags;
    private Dictionary<string, object?>? _extra;

    /// <summary>
    /// Gets the event's tags (indexed, searchable key/value pairs). They override default and scope tags with the same key.
    /// </summary>
    /// <remarks>
    /// Sentry limits keys to 32 characters of letters, digits, <c>_ . : -</c> and values to 200 characters without
    /// line breaks: longer keys and values are truncated, other characters in keys become <c>_</c>, line breaks in
    /// values become spaces, and tags with a <see langword="null"/> or empty value are not sent.
    /// </remarks>
    public IDictionary<string, string?> Tags => _tags ??= new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the event's extra data (not indexed). Values may be strings, numbers, booleans, dates, GUIDs,
    /// enumerations, lists and string-keyed dictionaries of these; anything else is sent as its <see cref="object.ToString"/>.
    /// </summary>
    public IDictionary<string, object?> Extra => _extra ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets the user affected by the event.
    /// </summary>
    public SentryUser? User { get; set; }

    /// <summary>
    /// Gets or sets the fingerprint that groups the event into an issue, replacing Sentry's default grouping.
    /// Use <c>"{{ default }}"</c> as an element to extend the default grouping instead.
    /// </summary>
    public IReadOnlyList<string>? Fingerprint { get; set; }

    /// <summary>
    /// Gets or sets the HTTP request during which the event happened. Integrations (such as ErrorReporting.AspNetCore)
    /// fill it; only what is set here is sent.
    /// </summary>
    public SentryRequest? Request { get; set; }

    /// <summary>
    /// Gets or sets the operation during which the event happened, such as a route template (<c>GET /orders/{id}</c>);
    /// Sentry shows it as the event's transaction.
    /// </summary>
    public string? Transaction { get; set; }

    internal Dictionary<string, string?>? TagsOrNull => _tags;

    internal Dictionary<string, object?>? ExtraOrNull => _extra;
}
