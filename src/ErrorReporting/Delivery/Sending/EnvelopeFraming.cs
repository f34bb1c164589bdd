using System.Buffers;
using System.Text.Json;
using ErrorReporting.Delivery.Accounting;

namespace ErrorReporting.Delivery.Sending;

/// <summary>
/// The few bytes ErrorReporting writes around the SDK's serialized envelopes: the header's <c>sent_at</c>, written at
/// each send (Sentry uses it to correct the client's clock, so a cached envelope must not carry the time it was
/// serialized), and a <c>client_report</c> item with the engine's own discards.
/// </summary>
internal static class EnvelopeFraming
{
    private const string SentAt = "sent_at";

    /// <summary>Returns the header JSON object of a serialized envelope without its <c>sent_at</c>.</summary>
    /// <exception cref="JsonException">The header is not a JSON object.</exception>
    public static byte[] WithoutSentAt(ReadOnlySpan<byte> header)
    {
        if (header.IndexOf("\"sent_at\""u8) < 0)
        {
            return header.ToArray();
        }

        var reader = new Utf8JsonReader(header);
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("The envelope header is not a JSON object.");
        }

        var output = new ArrayBufferWriter<byte>(header.Length);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.NameEquals(SentAt))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes the header line: the stored header object with <c>sent_at</c> = <paramref name="now"/>, then a newline.</summary>
    public static void WriteHeaderLine(IBufferWriter<byte> output, ReadOnlySpan<byte> header, DateTimeOffset now)
    {
        // The stored header is a compact JSON object: "{}" or "{...}". Reopen it and append the member.
        var open = header[..header.LastIndexOf((byte)'}')].TrimEnd(" \t\r\n"u8);
        output.Write(open);
        if (open.Length > 1)
        {
            output.Write(","u8);
        }

        output.Write("\"sent_at\":"u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStringValue(now);
        }

        output.Write("}\n"u8);
    }

    /// <summary>Writes a <c>client_report</c> item (header line, payload, newline) for <paramref name="discards"/>.</summary>
    public static void WriteClientReport(IBufferWriter<byte> output, IReadOnlyList<DiscardCount> discards, DateTimeOffset now)
    {
        var payload = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", now);
            writer.WriteStartArray("discarded_events");
            foreach (var discard in discards.OrderBy(d => d.Reason).ThenBy(d => d.Category, StringComparer.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("reason", discard.Reason.ToWireName());
                writer.WriteString("category", discard.Category);
                writer.WriteNumber("quantity", discard.Quantity);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "client_report");
            writer.WriteNumber("length", payload.WrittenCount);
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
        output.Write(payload.WrittenSpan);
        output.Write("\n"u8);
    }
}
