using System.Text.Json;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// Client reports count a dropped transaction twice: one <c>transaction</c>, and its spans in category <c>span</c>
/// (the child spans plus the transaction's own), as Sentry's client-report spec asks ("span outcomes"). This reads
/// that number from a transaction's JSON.
/// </summary>
internal static class SpanCounts
{
    public const string Category = "span";
    public const string TransactionCategory = "transaction";

    /// <summary>Gets the spans of the transactions in an SDK envelope (0 when it holds none), serializing each transaction.</summary>
    public static int Of(Envelope envelope)
    {
        var spans = 0;
        foreach (var item in envelope.Items)
        {
            if (item.TryGetType() == TransactionCategory)
            {
                using var buffer = new MemoryStream();
                try
                {
                    item.Payload.Serialize(buffer, logger: null);
                    spans += OfTransaction(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
                }
                catch (Exception)
                {
                    // A transaction that cannot be serialized still counts as its own span.
                    spans++;
                }
            }
        }

        return spans;
    }

    /// <summary>Gets the spans of the transaction items among framed envelope items (as the SDK serialized them).</summary>
    public static int OfItems(ReadOnlySpan<byte> items)
    {
        var spans = 0;
        var position = 0;
        while (position < items.Length)
        {
            var lineEnd = items[position..].IndexOf((byte)'\n');
            if (lineEnd < 0)
            {
                break;
            }

            var (type, length) = ReadItemHeader(items.Slice(position, lineEnd));
            var payloadStart = position + lineEnd + 1;
            if (length < 0 || payloadStart + length > items.Length)
            {
                break;
            }

            if (type == TransactionCategory)
            {
                spans += OfTransaction(items.Slice(payloadStart, length));
            }

            position = payloadStart + length + 1;
        }

        return spans;
    }

    /// <summary>Gets the number of spans of a transaction payload: its <c>spans</c> plus its own (1 when it cannot be read).</summary>
    public static int OfTransaction(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 1;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSpans = reader.ValueTextEquals("spans"u8);
                reader.Read();
                if (isSpans && reader.TokenType == JsonTokenType.StartArray)
                {
                    var count = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        count++;
                        reader.Skip();
                    }

                    return count + 1;
                }

                reader.Skip();
            }

            return 1;
        }
        catch (JsonException)
        {
            return 1;
        }
    }

    private static (string? Type, int Length) ReadItemHeader(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            string? type = null;
            var length = -1;
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "type" && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.GetString();
                }
                else if (name == "length" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
                {
                    length = value;
                }
                else
                {
                    reader.Skip();
                }
            }

            return (type, length);
        }
        catch (JsonException)
        {
            return (null, -1);
        }
    }
}
