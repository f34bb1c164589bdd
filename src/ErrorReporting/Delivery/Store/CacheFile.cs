using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using ErrorReporting.Delivery.Accounting;

namespace ErrorReporting.Delivery.Store;

/// <summary>
/// Reads back a file of the offline cache, trusting nothing in it: a regular file of sensible size holding a Sentry
/// envelope (a JSON object header line, then items whose header has a <c>length</c> that fits in the file). Whatever
/// a file holds (foreign data, truncation, lengths that overflow or point past the end), reading it never throws.
/// </summary>
internal static class CacheFile
{
    /// <summary>The largest envelope the cache reads back (Relay's limit for a whole envelope is 200 MiB decompressed).</summary>
    internal const long MaxBytes = 200L * 1024 * 1024;

    /// <summary>What a valid cache file holds.</summary>
    internal readonly record struct Contents(SentryId EventId, string[] Categories);

    /// <summary>Reads and checks a cache file; <paramref name="problem"/> says why it cannot be sent.</summary>
    public static bool TryRead(string path, out Contents contents, [NotNullWhen(false)] out string? problem)
    {
        contents = default;
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                problem = "it is a symbolic link";
                return false;
            }

            // A FIFO or a device reports no length: it is never opened (reading one could block or never end).
            if (info.Length == 0 || info.Length > MaxBytes)
            {
                problem = info.Length == 0 ? "it is empty or not a regular file" : "it is larger than an envelope can be";
                return false;
            }

            return TryParse(File.ReadAllBytes(path), out contents, out problem);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            problem = exception.Message;
            return false;
        }
    }

    /// <summary>Checks an envelope's framing and reads its event id and the items' data categories.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out Contents contents, [NotNullWhen(false)] out string? problem)
    {
        contents = default;
        try
        {
            var headerEnd = bytes.IndexOf((byte)'\n');
            if (headerEnd < 0)
            {
                problem = "no header line";
                return false;
            }

            if (!TryReadEventId(bytes[..headerEnd], out var eventId, out problem))
            {
                return false;
            }

            var categories = new List<string>();
            long position = headerEnd + 1;
            while (position < bytes.Length)
            {
                var rest = bytes[(int)position..];
                var lineEnd = rest.IndexOf((byte)'\n');
                if (lineEnd < 0)
                {
                    problem = "an item header is truncated";
                    return false;
                }

                if (!TryReadItemHeader(rest[..lineEnd], out var type, out var length, out problem))
                {
                    return false;
                }

                var payloadEnd = position + lineEnd + 1 + length;
                if (payloadEnd > bytes.Length)
                {
                    problem = "an item is shorter than its length";
                    return false;
                }

                if (payloadEnd < bytes.Length && bytes[(int)payloadEnd] != (byte)'\n')
                {
                    problem = "an item is longer than its length";
                    return false;
                }

                categories.Add(DataCategories.FromItemType(type));
                position = payloadEnd + 1;
            }

            if (categories.Count == 0)
            {
                problem = "it holds no item";
                return false;
            }

            contents = new Contents(eventId, [.. categories]);
            return true;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a JSON string that is not valid UTF-8 (JsonElement.GetString transcodes it).
            problem = "invalid JSON: " + exception.Message;
            return false;
        }
    }

    private static bool TryReadEventId(ReadOnlySpan<byte> header, out SentryId eventId, [NotNullWhen(false)] out string? problem)
    {
        eventId = SentryId.Empty;
        using var document = ParseWhole(header);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            problem = "the header is not a JSON object";
            return false;
        }

        if (document.RootElement.TryGetProperty("event_id", out var id))
        {
            if (id.ValueKind != JsonValueKind.String || !Guid.TryParse(id.GetString(), out var guid))
            {
                problem = "the header's event_id is invalid";
                return false;
            }

            eventId = new SentryId(guid);
        }

        problem = null;
        return true;
    }

    private static bool TryReadItemHeader(ReadOnlySpan<byte> line, out string? type, out long length, [NotNullWhen(false)] out string? problem)
    {
        type = null;
        length = 0;
        using var document = ParseWhole(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = "an item header is not a JSON object";
            return false;
        }

        if (!root.TryGetProperty("length", out var lengthElement) || lengthElement.ValueKind != JsonValueKind.Number
            || !lengthElement.TryGetInt64(out length) || length < 0 || length > MaxBytes)
        {
            problem = "an item header has no valid length";
            return false;
        }

        if (root.TryGetProperty("type", out var typeElement))
        {
            if (typeElement.ValueKind != JsonValueKind.String)
            {
                problem = "an item type is not a string";
                return false;
            }

            type = typeElement.GetString();
        }

        problem = null;
        return true;
    }

    /// <summary>Parses one JSON value that must fill the line (trailing whitespace aside).</summary>
    /// <exception cref="JsonException">The line is not exactly one JSON value.</exception>
    private static JsonDocument ParseWhole(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        var document = JsonDocument.ParseValue(ref reader);
        if (!line[(int)reader.BytesConsumed..].Trim(" \t\r"u8).IsEmpty)
        {
            document.Dispose();
            throw new JsonException("data after the JSON value");
        }

        return document;
    }
}
