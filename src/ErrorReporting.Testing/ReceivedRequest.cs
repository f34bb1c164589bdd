using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// The <c>request</c> interface of a received event: the HTTP request the application was handling.
/// </summary>
public sealed class ReceivedRequest
{
    internal ReceivedRequest(JsonElement json)
    {
        Method = JsonRead.String(json, "method");
        Url = JsonRead.String(json, "url");
        QueryString = JsonRead.StringOrRaw(json, "query_string");
        Headers = JsonRead.StringMap(JsonRead.Property(json, "headers"), StringComparer.OrdinalIgnoreCase);
        Data = JsonRead.Property(json, "data");
    }

    /// <summary>Gets <c>request.method</c>, or <see langword="null"/>.</summary>
    public string? Method { get; }

    /// <summary>Gets <c>request.url</c> as sent, or <see langword="null"/>.</summary>
    public string? Url { get; }

    /// <summary>Gets <c>request.query_string</c> as sent (an object or array form is given as its JSON text), or <see langword="null"/>.</summary>
    public string? QueryString { get; }

    /// <summary>Gets <c>request.headers</c> (object or <c>[[name, value], …]</c> form; names compared case-insensitively). Empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets <c>request.data</c>, or <see langword="null"/>.</summary>
    public JsonElement? Data { get; }
}
