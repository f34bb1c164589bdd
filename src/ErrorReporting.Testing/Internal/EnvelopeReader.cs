using System.Text;

namespace ErrorReporting.Testing.Internal;

/// <summary>Splits an envelope as strictly as Relay does (section 6 of the <see cref="Refusal"/> table): throws the first refusal.</summary>
internal static class EnvelopeReader
{
    /// <returns>The envelope header, its <c>event_id</c>, and the items, every header checked (the payloads are not yet).</returns>
    public static (JsonElement Header, string? EventId, List<ReceivedEnvelopeItem> Items) Read(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty)
        {
            throw Refusal.EmptyEnvelope();
        }

        var position = 0;
        var headerLine = ReadLine(data, ref position) ?? throw Refusal.EndsWithCarriageReturn("envelope header");
        var header = ParseHeader(headerLine, "envelope header");
        var eventId = CheckEnvelopeHeader(header);

        var items = new List<ReceivedEnvelopeItem>();
        while (position < data.Length)
        {
            var index = items.Count;
            var itemLine = ReadLine(data, ref position) ?? throw Refusal.EndsWithCarriageReturn($"item {index} header");
            var itemHeader = ParseHeader(itemLine, $"item {index} header");
            if (JsonRead.String(itemHeader, "type") is not { Length: > 0 } type)
            {
                throw Refusal.NoType(index, Text(itemLine));
            }

            long? length = null;
            ReadOnlyMemory<byte> payload;
            if (JsonRead.Property(itemHeader, "length") is { } lengthValue)
            {
                if (lengthValue.ValueKind != JsonValueKind.Number || !lengthValue.TryGetInt64(out var declared) || declared < 0)
                {
                    throw Refusal.Length(index, lengthValue.GetRawText());
                }

                var available = data.Length - position;
                if (declared > available)
                {
                    throw Refusal.LengthBeyondData(index, type, declared, available);
                }

                payload = data.Slice(position, (int)declared);
                position += (int)declared;
                if (position < data.Length && data.Span[position++] is var next && next != (byte)'\n')
                {
                    throw Refusal.AfterPayload(index, type, declared, next);
                }

                length = declared;
            }
            else
            {
                payload = ReadLine(data, ref position) ?? throw Refusal.EndsWithCarriageReturn($"item {index} (\"{type}\") payload");
            }

            items.Add(new ReceivedEnvelopeItem(type, itemHeader, length, payload));
        }

        return (header, eventId, items);
    }

    /// <summary>An envelope header's own rules: no key twice, <c>event_id</c> an id, <c>sent_at</c> a string. Returns the id.</summary>
    private static string? CheckEnvelopeHeader(JsonElement header)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (header.EnumerateObject().Select(property => property.Name).FirstOrDefault(name => !seen.Add(name)) is { } duplicate)
        {
            throw Refusal.DuplicateKey(duplicate);
        }

        var eventId = JsonRead.Property(header, "event_id");
        if (eventId is { } id && (id.ValueKind != JsonValueKind.String || !IsEventId(id.GetString())))
        {
            throw Refusal.EventId(id.GetRawText());
        }

        if (JsonRead.Property(header, "sent_at") is { ValueKind: not JsonValueKind.String } sentAt)
        {
            throw Refusal.SentAt(sentAt.GetRawText());
        }

        return eventId?.GetString();
    }

    /// <summary>32 hexadecimal characters, or a hyphenated UUID.</summary>
    private static bool IsEventId(string? value) => Guid.TryParseExact(value, "N", out _) || Guid.TryParseExact(value, "D", out _);

    private static JsonElement ParseHeader(ReadOnlyMemory<byte> line, string what)
    {
        if (line.IsEmpty)
        {
            throw Refusal.EmptyHeader(what);
        }

        return JsonRead.TryParseObject(line, out var header) is { } problem ? throw Refusal.Header(what, problem, Text(line)) : header;
    }

    /// <summary>Reads up to the next <c>\n</c> (consumed) or the end of the data; <see langword="null"/> when the line ends with <c>\r</c>.</summary>
    private static ReadOnlyMemory<byte>? ReadLine(ReadOnlyMemory<byte> data, ref int position)
    {
        var start = position;
        var newLine = data.Span[start..].IndexOf((byte)'\n');
        var length = newLine < 0 ? data.Length - start : newLine;
        position = newLine < 0 ? data.Length : start + length + 1;
        return length > 0 && data.Span[start + length - 1] == (byte)'\r' ? (ReadOnlyMemory<byte>?)null : data.Slice(start, length);
    }

    private static string Text(ReadOnlyMemory<byte> utf8) => Encoding.UTF8.GetString(utf8.Span);
}
