using System.Text;

namespace ErrorReporting.Testing;

/// <summary>An envelope accepted by a <see cref="SentryEnvelopeReceiver"/>: the request headers, the decompressed bytes, the envelope header and the items.</summary>
/// <param name="ReceivedAt">The time the request arrived.</param>
/// <param name="Headers">The request headers (names compared case-insensitively; repeated headers joined with <c>", "</c>).</param>
/// <param name="BodyLength">The number of body bytes on the wire (before decompression).</param>
/// <param name="RawBytes">The envelope bytes after decompression.</param>
/// <param name="Header">The envelope header (a JSON object).</param>
/// <param name="EventId">The envelope header's <c>event_id</c>, or <see langword="null"/> when it had none.</param>
/// <param name="Items">The envelope's items, in order.</param>
public sealed record ReceivedEnvelope(
    DateTimeOffset ReceivedAt, IReadOnlyDictionary<string, string> Headers, int BodyLength, ReadOnlyMemory<byte> RawBytes, JsonElement Header, string? EventId, IReadOnlyList<ReceivedEnvelopeItem> Items);

/// <summary>One item of a <see cref="ReceivedEnvelope"/>: its header and payload exactly as received.</summary>
/// <param name="Type">The item type from the item header (for example <c>event</c>, <c>client_report</c>, <c>attachment</c>).</param>
/// <param name="Header">The item header (a JSON object).</param>
/// <param name="DeclaredLength">The <c>length</c> the item header declared, or <see langword="null"/> when it had none (the payload then ran to the next newline).</param>
/// <param name="Payload">The payload bytes (without the newline that ends them).</param>
public sealed record ReceivedEnvelopeItem(string Type, JsonElement Header, long? DeclaredLength, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Gets the payload decoded as UTF-8.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload.Span);
}
