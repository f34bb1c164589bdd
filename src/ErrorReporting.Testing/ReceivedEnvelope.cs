using System.Runtime.CompilerServices;
using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// An envelope accepted by a <see cref="SentryEnvelopeReceiver"/>: the request headers that matter, the decompressed
/// bytes, the parsed envelope header and the items.
/// </summary>
/// <remarks>
/// The receiver checks the envelope completely when it arrives, but keeps only its bytes: the header, the header
/// dictionary and the texts are built on first use (thread-safe; every reader gets the same instance).
/// </remarks>
public sealed class ReceivedEnvelope
{
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly ReadOnlyMemory<byte> _headerLine;
    private Dictionary<string, string>? _headerDictionary;
    private HeaderView? _headerView;
    private string? _headerJson;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ReceivedEnvelope(
        DateTimeOffset receivedAt,
        KeyValuePair<string, string>[] headers,
        int bodyLength,
        ReadOnlyMemory<byte> rawBytes,
        ReadOnlyMemory<byte> headerLine,
        string? eventId,
        IReadOnlyList<ReceivedEnvelopeItem> items)
    {
        ReceivedAt = receivedAt;
        _headers = headers;
        BodyLength = bodyLength;
        RawBytes = rawBytes;
        _headerLine = headerLine;
        EventId = eventId;
        Items = items;
    }

    /// <summary>Gets the time the request arrived at the receiver.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Gets all request headers (names compared case-insensitively; repeated headers joined with <c>", "</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers => Volatile.Read(ref _headerDictionary) ?? LazyView.Publish(ref _headerDictionary, BuildHeaders());

    /// <summary>Gets the <c>X-Sentry-Auth</c> request header, or <see langword="null"/> (for example when the key came in the query string).</summary>
    public string? SentryAuth => RequestHeader("X-Sentry-Auth");

    /// <summary>Gets the <c>Content-Type</c> request header, or <see langword="null"/>.</summary>
    public string? ContentType => RequestHeader("Content-Type");

    /// <summary>Gets the <c>Content-Encoding</c> request header, or <see langword="null"/> when the body was not compressed.</summary>
    public string? ContentEncoding => RequestHeader("Content-Encoding");

    /// <summary>Gets the <c>User-Agent</c> request header, or <see langword="null"/>.</summary>
    public string? UserAgent => RequestHeader("User-Agent");

    /// <summary>Gets the number of body bytes on the wire (before decompression).</summary>
    public int BodyLength { get; }

    /// <summary>Gets the envelope bytes after decompression.</summary>
    public ReadOnlyMemory<byte> RawBytes { get; }

    /// <summary>Gets the envelope header (a JSON object).</summary>
    public JsonElement Header => View.Header;

    /// <summary>Gets the envelope header line as received.</summary>
    public string HeaderJson => Volatile.Read(ref _headerJson) ?? LazyView.Publish(ref _headerJson, LazyView.Text(_headerLine));

    /// <summary>Gets the <c>event_id</c> of the envelope header, or <see langword="null"/> when it had none.</summary>
    public string? EventId { get; }

    /// <summary>Gets the <c>sent_at</c> of the envelope header as sent, or <see langword="null"/> when it had none.</summary>
    public string? SentAt => View.SentAt;

    /// <summary>Gets the envelope's items, in order.</summary>
    public IReadOnlyList<ReceivedEnvelopeItem> Items { get; }

    private HeaderView View => Volatile.Read(ref _headerView) ?? LazyView.Publish(ref _headerView, new HeaderView(LazyView.ParseJson(_headerLine).Value));

    /// <inheritdoc />
    public override string ToString() => $"envelope {EventId ?? "(no event_id)"} [{string.Join(", ", Items.Select(item => item.Type))}]";

    /// <summary>Copies the request headers, as the envelope keeps them: the request's own collection is reused after the response.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static KeyValuePair<string, string>[] CaptureHeaders(Microsoft.AspNetCore.Http.IHeaderDictionary requestHeaders)
    {
        var headers = new KeyValuePair<string, string>[requestHeaders.Count];
        var count = 0;
        foreach (var (name, values) in requestHeaders)
        {
            if (count == headers.Length)
            {
                Array.Resize(ref headers, count + 4);
            }

            headers[count++] = new(name, values.Count == 1 ? values[0] ?? "" : string.Join(", ", values.ToArray()));
        }

        if (count != headers.Length)
        {
            Array.Resize(ref headers, count);
        }

        return headers;
    }

    private Dictionary<string, string> BuildHeaders()
    {
        var headers = new Dictionary<string, string>(_headers.Length, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in _headers)
        {
            headers[name] = value;
        }

        return headers;
    }

    /// <summary>Finds a request header without building <see cref="Headers"/> (the last of that name wins, as in it).</summary>
    private string? RequestHeader(string name)
    {
        for (var i = _headers.Length - 1; i >= 0; i--)
        {
            if (string.Equals(_headers[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return _headers[i].Value;
            }
        }

        return null;
    }

    private sealed class HeaderView(JsonElement header)
    {
        public JsonElement Header { get; } = header;

        public string? SentAt { get; } = JsonRead.String(header, "sent_at");
    }
}
