using System.Text.Json;
using ErrorReporting.Testing.Internal;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.Testing;

/// <summary>
/// An envelope accepted by a <see cref="SentryEnvelopeReceiver"/>: the request headers, the decompressed bytes, the
/// envelope header and the items.
/// </summary>
public sealed class ReceivedEnvelope
{
    internal ReceivedEnvelope(DateTimeOffset receivedAt, IHeaderDictionary requestHeaders, int bodyLength, ReadOnlyMemory<byte> rawBytes, ParsedEnvelope parsed)
    {
        ReceivedAt = receivedAt;
        Headers = requestHeaders.ToDictionary(header => header.Key, header => string.Join(", ", (IEnumerable<string?>)header.Value), StringComparer.OrdinalIgnoreCase);
        BodyLength = bodyLength;
        RawBytes = rawBytes;
        Header = parsed.Header;
        HeaderJson = parsed.HeaderJson;
        EventId = parsed.EventId;
        Items = parsed.Items;
    }

    /// <summary>Gets the time the request arrived at the receiver.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Gets all request headers (names compared case-insensitively; repeated headers joined with <c>", "</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets the <c>X-Sentry-Auth</c> request header, or <see langword="null"/> (for example when the key came in the query string).</summary>
    public string? SentryAuth => Headers.GetValueOrDefault("X-Sentry-Auth");

    /// <summary>Gets the <c>Content-Type</c> request header, or <see langword="null"/>.</summary>
    public string? ContentType => Headers.GetValueOrDefault("Content-Type");

    /// <summary>Gets the <c>Content-Encoding</c> request header, or <see langword="null"/> when the body was not compressed.</summary>
    public string? ContentEncoding => Headers.GetValueOrDefault("Content-Encoding");

    /// <summary>Gets the <c>User-Agent</c> request header, or <see langword="null"/>.</summary>
    public string? UserAgent => Headers.GetValueOrDefault("User-Agent");

    /// <summary>Gets the number of body bytes on the wire (before decompression).</summary>
    public int BodyLength { get; }

    /// <summary>Gets the envelope bytes after decompression.</summary>
    public ReadOnlyMemory<byte> RawBytes { get; }

    /// <summary>Gets the envelope header (a JSON object).</summary>
    public JsonElement Header { get; }

    /// <summary>Gets the envelope header line as received.</summary>
    public string HeaderJson { get; }

    /// <summary>Gets the <c>event_id</c> of the envelope header, or <see langword="null"/> when it had none.</summary>
    public string? EventId { get; }

    /// <summary>Gets the <c>sent_at</c> of the envelope header as sent, or <see langword="null"/> when it had none.</summary>
    public string? SentAt => JsonRead.String(Header, "sent_at");

    /// <summary>Gets the envelope's items, in order.</summary>
    public IReadOnlyList<ReceivedEnvelopeItem> Items { get; }

    /// <inheritdoc />
    public override string ToString() => $"envelope {EventId ?? "(no event_id)"} [{string.Join(", ", Items.Select(item => item.Type))}]";
}
