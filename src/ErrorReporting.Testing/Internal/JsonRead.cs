using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// The receiver's JSON: the strict check of headers and payloads, and tolerant readers for the typed views (a missing
/// or oddly-typed value gives <see langword="null"/> or an empty collection, never an exception).
/// </summary>
internal static class JsonRead
{
    /// <summary>
    /// Parses one JSON object whose strings and names are readable (valid UTF-8, no unpaired surrogate escape). Returns
    /// what is wrong, first found first: "is not valid JSON (…)", "is not a JSON object", "is not readable text (…)".
    /// </summary>
    public static string? TryParseObject(ReadOnlyMemory<byte> utf8, out JsonElement value)
    {
        value = default;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException exception)
        {
            return $"is not valid JSON ({exception.Message})";
        }

        // Outside strings JSON is ASCII, so this checks the bytes of every string; an unpaired surrogate can only be an escape.
        var problem = document.RootElement.ValueKind != JsonValueKind.Object ? "is not a JSON object"
            : !Utf8.IsValid(utf8.Span) ? "is not readable text (invalid UTF-8)"
            : UnpairedSurrogate(utf8.Span) is { } detail ? $"is not readable text ({detail})"
            : null;
        if (problem is not null)
        {
            document.Dispose();
            return problem;
        }

        // The document reads the kept envelope bytes in place and lives as long as the view: nothing is copied.
        value = document.RootElement;
        return null;
    }

    /// <summary>Gets a property; <see langword="null"/> when the element is not an object, or the property is missing or <c>null</c>.</summary>
    public static JsonElement? Property(JsonElement? element, string name)
        => element is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty(name, out var property) && property.ValueKind != JsonValueKind.Null
            ? property
            : null;

    public static JsonElement? Object(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    public static string? String(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>Gets a string, or the JSON text of any other value.</summary>
    public static string? StringOrRaw(JsonElement? element, string name)
        => Property(element, name) is { } value ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) : null;

    public static bool? Boolean(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : null;

    public static long? Int64(JsonElement? element, string name) => Property(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var result) ? result : null;

    /// <summary>
    /// Reads a string map in either form Sentry accepts, <c>{"k":"v"}</c> or <c>[["k","v"]]</c>: numbers and booleans
    /// as their JSON text, other values and malformed entries skipped, a later duplicate key winning.
    /// </summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonElement? element, IEqualityComparer<string>? comparer = null)
    {
        var map = new Dictionary<string, string>(comparer ?? StringComparer.Ordinal);
        if (element is { ValueKind: JsonValueKind.Object } entries)
        {
            foreach (var property in entries.EnumerateObject())
            {
                if (ScalarText(property.Value) is { } text)
                {
                    map[property.Name] = text;
                }
            }
        }
        else if (element is { ValueKind: JsonValueKind.Array } pairs)
        {
            foreach (var pair in pairs.EnumerateArray())
            {
                if (pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && pair[0].ValueKind == JsonValueKind.String && ScalarText(pair[1]) is { } text)
                {
                    map[pair[0].GetString()!] = text;
                }
            }
        }

        return map;
    }

    /// <summary>The objects of a Sentry values container: <c>{"values":[…]}</c> or a bare array.</summary>
    public static IEnumerable<JsonElement> Objects(JsonElement? container)
    {
        var array = container is { ValueKind: JsonValueKind.Object } ? Property(container, "values") : container;
        return array is { ValueKind: JsonValueKind.Array } items ? items.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.Object) : [];
    }

    /// <summary>Reads an element with one of the SDK's own parsers (<c>FromJson</c>); <see langword="null"/> when there is none, or that parser cannot read it.</summary>
    public static T? Sdk<T>(JsonElement? element, Func<JsonElement, T> fromJson)
        where T : class
    {
        try
        {
            return element is { } value ? fromJson(value) : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>The strings (and numbers and booleans, as their JSON text) of an array property.</summary>
    public static IReadOnlyList<string> StringList(JsonElement? element, string name)
        => Property(element, name) is { ValueKind: JsonValueKind.Array } array ? [.. array.EnumerateArray().Select(ScalarText).OfType<string>()] : [];

    private static string? ScalarText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };

    /// <summary>Why an escaped string or property name is not readable (an unpaired surrogate), or <see langword="null"/>.</summary>
    private static string? UnpairedSurrogate(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\uD"u8) < 0 && json.IndexOf("\\ud"u8) < 0)
        {
            return null;
        }

        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    _ = reader.GetString();
                }
            }

            return null;
        }
        catch (InvalidOperationException exception)
        {
            return exception.Message;
        }
    }
}

/// <summary>The receiver's answers, <c>{"id": …}</c> and <c>{"detail": …}</c>, serialized without reflection.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class AnswerJsonContext : JsonSerializerContext;
