using System.Text;
using System.Text.Json;

namespace ErrorReporting.Testing.Internal;

/// <summary>One item of a parsed envelope.</summary>
internal sealed record ParsedItem(string Type, JsonElement Header, string HeaderJson, long? DeclaredLength, ReadOnlyMemory<byte> Payload);

/// <summary>A parsed envelope: header and items, payloads sliced from the envelope bytes.</summary>
internal sealed record ParsedEnvelope(JsonElement Header, string HeaderJson, string? EventId, string? SentAt, IReadOnlyList<ParsedItem> Items);

/// <summary>
/// Parses Sentry envelopes as strictly as Relay does: <c>Headers { "\n" Item } [ "\n" ]</c>, where every header is a
/// single-line JSON object, an item's <c>length</c> (when present) is its exact payload byte count followed by
/// <c>\n</c> or the end of the data, and a payload without <c>length</c> runs to the next <c>\n</c>. Line endings are
/// <c>\n</c> only: a <c>\r\n</c> is an error.
/// </summary>
internal static class EnvelopeParser
{
    private const byte NewLine = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    public static bool TryParse(ReadOnlyMemory<byte> data, out ParsedEnvelope? envelope, out string? error)
    {
        envelope = null;
        var span = data.Span;
        if (span.IsEmpty)
        {
            error = "the envelope is empty: expected a JSON object header line";
            return false;
        }

        var position = 0;
        if (!TryReadLine(data, ref position, "envelope header", out var headerLine, out error))
        {
            return false;
        }

        if (!TryParseObject(headerLine, "envelope header", out var header, out var headerJson, out error))
        {
            return false;
        }

        if (FindDuplicateKey(header) is { } duplicate)
        {
            error = $"the envelope header has the key \"{duplicate}\" more than once";
            return false;
        }

        string? eventId = null;
        if (JsonRead.Property(header, "event_id") is { } eventIdElement)
        {
            if (eventIdElement.ValueKind != JsonValueKind.String || !IsEventId(eventIdElement.GetString()))
            {
                error = $"the envelope header's event_id {eventIdElement.GetRawText()} is not 32 hexadecimal characters (or a hyphenated UUID)";
                return false;
            }

            eventId = eventIdElement.GetString();
        }

        string? sentAt = null;
        if (JsonRead.Property(header, "sent_at") is { } sentAtElement)
        {
            if (sentAtElement.ValueKind != JsonValueKind.String)
            {
                error = $"the envelope header's sent_at {sentAtElement.GetRawText()} is not a string";
                return false;
            }

            sentAt = sentAtElement.GetString();
        }

        var items = new List<ParsedItem>();
        while (position < span.Length)
        {
            var index = items.Count;
            var what = $"item {index} header";
            if (!TryReadLine(data, ref position, what, out var itemHeaderLine, out error))
            {
                return false;
            }

            if (!TryParseObject(itemHeaderLine, what, out var itemHeader, out var itemHeaderJson, out error))
            {
                return false;
            }

            if (JsonRead.Property(itemHeader, "type") is not { ValueKind: JsonValueKind.String } typeElement
                || typeElement.GetString() is not { Length: > 0 } type)
            {
                error = $"{what} has no \"type\" string: {itemHeaderJson}";
                return false;
            }

            long? declaredLength = null;
            ReadOnlyMemory<byte> payload;
            if (JsonRead.Property(itemHeader, "length") is { } lengthElement)
            {
                if (lengthElement.ValueKind != JsonValueKind.Number || !lengthElement.TryGetInt64(out var length) || length < 0)
                {
                    error = $"{what} has a \"length\" that is not a non-negative integer: {lengthElement.GetRawText()}";
                    return false;
                }

                declaredLength = length;
                var available = span.Length - position;
                if (length > available)
                {
                    error = $"item {index} (\"{type}\") declares length {length} but only {available} byte(s) follow its header";
                    return false;
                }

                payload = data.Slice(position, (int)length);
                position += (int)length;
                if (position < span.Length)
                {
                    if (span[position] != NewLine)
                    {
                        error = span[position] == CarriageReturn
                            ? $"item {index} (\"{type}\") payload is followed by \\r\\n: envelope lines must end with \\n only"
                            : $"item {index} (\"{type}\") payload of {length} byte(s) is not followed by \\n or the end of the envelope (found byte 0x{span[position]:x2})";
                        return false;
                    }

                    position++;
                }
            }
            else
            {
                if (!TryReadLine(data, ref position, $"item {index} (\"{type}\") payload", out payload, out error))
                {
                    return false;
                }
            }

            items.Add(new ParsedItem(type, itemHeader, itemHeaderJson, declaredLength, payload));
        }

        envelope = new ParsedEnvelope(header, headerJson, eventId, sentAt, items);
        error = null;
        return true;
    }

    public static bool IsEventId(string? value)
        => value is not null && (Guid.TryParseExact(value, "N", out _) || Guid.TryParseExact(value, "D", out _));

    /// <summary>Reads up to the next <c>\n</c> (consumed) or the end of the data; a line ending with <c>\r</c> is an error.</summary>
    private static bool TryReadLine(ReadOnlyMemory<byte> data, ref int position, string what, out ReadOnlyMemory<byte> line, out string? error)
    {
        var rest = data.Span[position..];
        var newLine = rest.IndexOf(NewLine);
        var length = newLine < 0 ? rest.Length : newLine;
        line = data.Slice(position, length);
        position += newLine < 0 ? length : length + 1;
        if (length > 0 && rest[length - 1] == CarriageReturn)
        {
            error = $"the {what} ends with \\r\\n: envelope lines must end with \\n only";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryParseObject(ReadOnlyMemory<byte> line, string what, out JsonElement element, out string json, out string? error)
    {
        element = default;
        json = Encoding.UTF8.GetString(line.Span);
        if (line.IsEmpty)
        {
            error = $"the {what} is empty: expected a JSON object";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = $"the {what} is not a JSON object: {Shorten(json)}";
                return false;
            }

            element = document.RootElement.Clone();
            error = null;
            return true;
        }
        catch (JsonException exception)
        {
            error = $"the {what} is not valid JSON ({exception.Message}): {Shorten(json)}";
            return false;
        }
    }

    private static string? FindDuplicateKey(JsonElement header)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in header.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return property.Name;
            }
        }

        return null;
    }

    internal static string Shorten(string text, int max = 200) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
