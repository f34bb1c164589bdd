using System.Text;
using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing.Tests;

/// <summary>What the receiver should make of an envelope, worked out the way it was before the receive path was made cheap.</summary>
internal sealed record ReferenceOutcome(
    int Status,
    string? Detail,
    string? EnvelopeEventId,
    IReadOnlyList<ReferenceItem> Items,
    bool HasEvent,
    string? PayloadEventId,
    int ClientReports);

internal sealed record ReferenceItem(string Type, long? DeclaredLength, byte[] Payload);

/// <summary>
/// A test oracle: the receiver's envelope rules written the slow and obvious way, with a <see cref="JsonDocument"/> for
/// every header and payload (as the receiver read them before it checked with one reader pass and deferred the DOMs).
/// Plus the one rule added since: every string must be readable text.
/// </summary>
internal static class EagerReference
{
    private const int MaxEventBytes = 1024 * 1024;

    /// <summary>Works out the outcome of posting decompressed <paramref name="envelope"/> bytes, authenticated, to the right path.</summary>
    public static ReferenceOutcome Receive(byte[] envelope)
    {
        if (!TryParse(envelope, out var header, out var eventId, out var items, out var error))
        {
            // A request whose envelope does not parse shows no event id.
            return new ReferenceOutcome(400, $"invalid envelope: {error}", null, [], false, null, 0);
        }

        var hasEvent = false;
        string? payloadEventId = null;
        var clientReports = 0;
        for (var index = 0; index < items.Count; index++)
        {
            var item = items[index];
            switch (item.Type)
            {
                case "event":
                    if (hasEvent)
                    {
                        return Refused(400, $"invalid envelope: item {index} is a second event item (an envelope carries at most one)");
                    }

                    if (item.Payload.Length > MaxEventBytes)
                    {
                        return Refused(413, $"item {index} (event) is {item.Payload.Length} bytes, over the {MaxEventBytes} byte limit");
                    }

                    if (PayloadProblem(item, index) is { } eventProblem)
                    {
                        return Refused(400, eventProblem);
                    }

                    using (var document = JsonDocument.Parse(item.Payload))
                    {
                        payloadEventId = JsonRead.String(document.RootElement, "event_id");
                    }

                    hasEvent = true;
                    break;

                case "client_report":
                    if (PayloadProblem(item, index) is { } reportProblem)
                    {
                        return Refused(400, reportProblem);
                    }

                    clientReports++;
                    break;
            }
        }

        return new ReferenceOutcome(200, null, eventId, items, hasEvent, payloadEventId, clientReports);

        ReferenceOutcome Refused(int status, string detail) => new(status, detail, eventId, [], false, null, 0);
    }

    /// <summary>Whether every string and property name in <paramref name="element"/> can be read as text.</summary>
    public static bool IsReadable(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!IsReadable(property.Value))
                        {
                            return false;
                        }
                    }

                    return true;

                case JsonValueKind.Array:
                    return element.EnumerateArray().All(IsReadable);

                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;

                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The verdict on a JSON text that must be an object of readable text: <see langword="null"/> when it is one, else what is wrong.</summary>
    public static (JsonProblem Problem, string? SyntaxMessage) CheckObject(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (JsonProblem.NotObject, null);
            }

            return (IsReadable(document.RootElement) ? JsonProblem.None : JsonProblem.InvalidText, null);
        }
        catch (JsonException exception)
        {
            return (JsonProblem.Syntax, exception.Message);
        }
    }

    private static string? PayloadProblem(ReferenceItem item, int index)
    {
        var text = Encoding.UTF8.GetString(item.Payload);
        return CheckObject(item.Payload) switch
        {
            (JsonProblem.None, _) => null,
            (JsonProblem.Syntax, var message) => $"invalid envelope: item {index} ({item.Type}) payload is not valid JSON ({message}): {EnvelopeParser.Shorten(text)}",
            (JsonProblem.NotObject, _) => $"invalid envelope: item {index} ({item.Type}) payload is not a JSON object: {EnvelopeParser.Shorten(text)}",
            _ => $"invalid envelope: item {index} ({item.Type}) payload is not readable text",
        };
    }

    private static bool TryParse(byte[] data, out JsonElement header, out string? eventId, out List<ReferenceItem> items, out string? error)
    {
        header = default;
        eventId = null;
        items = [];
        if (data.Length == 0)
        {
            error = "the envelope is empty: expected a JSON object header line";
            return false;
        }

        var position = 0;
        if (!TryReadLine(data, ref position, "envelope header", out var headerLine, out error)
            || !TryParseObject(headerLine, "envelope header", out header, out error))
        {
            return false;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in header.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                error = $"the envelope header has the key \"{property.Name}\" more than once";
                return false;
            }
        }

        if (JsonRead.Property(header, "event_id") is { } eventIdElement)
        {
            if (eventIdElement.ValueKind != JsonValueKind.String || !IsEventId(eventIdElement.GetString()))
            {
                error = $"the envelope header's event_id {eventIdElement.GetRawText()} is not 32 hexadecimal characters (or a hyphenated UUID)";
                return false;
            }

            eventId = eventIdElement.GetString();
        }

        if (JsonRead.Property(header, "sent_at") is { ValueKind: not JsonValueKind.String } sentAt)
        {
            error = $"the envelope header's sent_at {sentAt.GetRawText()} is not a string";
            return false;
        }

        while (position < data.Length)
        {
            var index = items.Count;
            var what = $"item {index} header";
            if (!TryReadLine(data, ref position, what, out var itemHeaderLine, out error)
                || !TryParseObject(itemHeaderLine, what, out var itemHeader, out error))
            {
                return false;
            }

            if (JsonRead.Property(itemHeader, "type") is not { ValueKind: JsonValueKind.String } typeElement
                || typeElement.GetString() is not { Length: > 0 } type)
            {
                error = $"{what} has no \"type\" string: {Encoding.UTF8.GetString(itemHeaderLine)}";
                return false;
            }

            long? declaredLength = null;
            byte[] payload;
            if (JsonRead.Property(itemHeader, "length") is { } lengthElement)
            {
                if (lengthElement.ValueKind != JsonValueKind.Number || !lengthElement.TryGetInt64(out var length) || length < 0)
                {
                    error = $"{what} has a \"length\" that is not a non-negative integer: {lengthElement.GetRawText()}";
                    return false;
                }

                declaredLength = length;
                var available = data.Length - position;
                if (length > available)
                {
                    error = $"item {index} (\"{type}\") declares length {length} but only {available} byte(s) follow its header";
                    return false;
                }

                payload = data.AsSpan(position, (int)length).ToArray();
                position += (int)length;
                if (position < data.Length)
                {
                    if (data[position] != (byte)'\n')
                    {
                        error = data[position] == (byte)'\r'
                            ? $"item {index} (\"{type}\") payload is followed by \\r\\n: envelope lines must end with \\n only"
                            : $"item {index} (\"{type}\") payload of {length} byte(s) is not followed by \\n or the end of the envelope (found byte 0x{data[position]:x2})";
                        return false;
                    }

                    position++;
                }
            }
            else if (!TryReadLine(data, ref position, $"item {index} (\"{type}\") payload", out payload, out error))
            {
                return false;
            }

            items.Add(new ReferenceItem(type, declaredLength, payload));
        }

        error = null;
        return true;
    }

    private static bool IsEventId(string? value)
        => value is not null && (Guid.TryParseExact(value, "N", out _) || Guid.TryParseExact(value, "D", out _));

    private static bool TryReadLine(byte[] data, ref int position, string what, out byte[] line, out string? error)
    {
        var rest = data.AsSpan(position);
        var newLine = rest.IndexOf((byte)'\n');
        var length = newLine < 0 ? rest.Length : newLine;
        line = rest[..length].ToArray();
        position += newLine < 0 ? length : length + 1;
        if (length > 0 && rest[length - 1] == (byte)'\r')
        {
            error = $"the {what} ends with \\r\\n: envelope lines must end with \\n only";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryParseObject(byte[] line, string what, out JsonElement element, out string? error)
    {
        element = default;
        var json = Encoding.UTF8.GetString(line);
        if (line.Length == 0)
        {
            error = $"the {what} is empty: expected a JSON object";
            return false;
        }

        switch (CheckObject(line))
        {
            case (JsonProblem.Syntax, var message):
                error = $"the {what} is not valid JSON ({message}): {EnvelopeParser.Shorten(json)}";
                return false;

            case (JsonProblem.NotObject, _):
                error = $"the {what} is not a JSON object: {EnvelopeParser.Shorten(json)}";
                return false;

            case (JsonProblem.InvalidText, _):
                error = $"the {what} is not readable text";
                return false;
        }

        using var document = JsonDocument.Parse(line);
        element = document.RootElement.Clone();
        error = null;
        return true;
    }
}
