using System.Buffers;
using System.Text.Json;
using ErrorReporting.Diagnostics;

namespace ErrorReporting.Serialization;

/// <summary>
/// Frames envelopes (<c>header \n item-header \n payload \n …</c>, LF only). Every item header carries
/// <c>length</c> = the payload's UTF-8 byte count. The envelope header, with <c>sent_at</c>, is written at each send.
/// </summary>
internal static class EnvelopeWriter
{
    private static readonly JsonWriterOptions s_options = new() { SkipValidation = true };

    public static void WriteHeader(IBufferWriter<byte> output, SentryEventId eventId, DateTimeOffset sentAt, ReadOnlySpan<byte> sdk)
    {
        using (var writer = new Utf8JsonWriter(output, s_options))
        {
            writer.WriteStartObject();
            if (!eventId.IsEmpty)
            {
                EventWriter.WriteEventId(writer, "event_id"u8, eventId);
            }

            writer.WriteString("sent_at"u8, sentAt);
            writer.WritePropertyName("sdk"u8);
            writer.WriteRawValue(sdk, skipInputValidation: true);
            writer.WriteEndObject();
        }

        WriteNewLine(output);
    }

    /// <summary>Writes the header stored in the offline cache: like <see cref="WriteHeader"/> without <c>sent_at</c>, which is set at each send.</summary>
    public static void WriteStoredHeader(IBufferWriter<byte> output, SentryEventId eventId, ReadOnlySpan<byte> sdk)
    {
        using (var writer = new Utf8JsonWriter(output, s_options))
        {
            writer.WriteStartObject();
            if (!eventId.IsEmpty)
            {
                EventWriter.WriteEventId(writer, "event_id"u8, eventId);
            }

            writer.WritePropertyName("sdk"u8);
            writer.WriteRawValue(sdk, skipInputValidation: true);
            writer.WriteEndObject();
        }

        WriteNewLine(output);
    }

    public static void WriteItem(IBufferWriter<byte> output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> payload)
    {
        using (var writer = new Utf8JsonWriter(output, s_options))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, type);
            writer.WriteNumber("length"u8, payload.Length);
            writer.WriteEndObject();
        }

        WriteNewLine(output);
        output.Write(payload);
        WriteNewLine(output);
    }

    /// <summary>Writes a <c>client_report</c> item: discarded events by reason, category <c>error</c>.</summary>
    public static void WriteClientReport(IBufferWriter<byte> output, long[] discarded, DateTimeOffset timestamp)
    {
        var payload = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(payload, s_options))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp"u8, timestamp);
            writer.WriteStartArray("discarded_events"u8);
            for (var i = 0; i < discarded.Length; i++)
            {
                if (discarded[i] > 0)
                {
                    writer.WriteStartObject();
                    writer.WriteString("reason"u8, ((DiscardReason)i).ToWireName());
                    writer.WriteString("category"u8, "error"u8);
                    writer.WriteNumber("quantity"u8, discarded[i]);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        WriteItem(output, "client_report"u8, payload.WrittenSpan);
    }

    private static void WriteNewLine(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }
}
