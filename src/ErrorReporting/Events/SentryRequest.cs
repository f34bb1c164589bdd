namespace ErrorReporting.Events;

/// <summary>
/// The HTTP request during which an event happened (<c>request</c>).
/// </summary>
public sealed class SentryRequest
{
    private Dictionary<string, string>? _headers;

    /// <summary>Gets or sets the HTTP method.</summary>
    public string? Method { get; set; }

    /// <summary>Gets or sets the URL without the query string.</summary>
    public string? Url { get; set; }

    /// <summary>Gets or sets the query string, without the leading <c>?</c>.</summary>
    public string? QueryString { get; set; }

    /// <summary>Gets the request headers that are sent.</summary>
    public IDictionary<string, string> Headers => _headers ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    internal Dictionary<string, string>? HeadersOrNull => _headers;
}
