using System.Text.Json;
using System.Text.Json.Serialization;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// The receiver's JSON: the strict check of headers and payloads, and tolerant readers over <see cref="JsonElement"/>
/// for the typed views (a missing or oddly-typed value gives <see langword="null"/> or an empty collection, never an
/// exception).
/// </summary>
internal static class JsonRead
{
    private static readonly IReadOnlyDictionary<string, string> s_emptyMap = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Parses a text that must be one JSON object whose strings (and names) are all readable: valid UTF-8, no unpaired
    /// surrogate escape. Returns what is wrong with it, in this order: <c>is not valid JSON (…)</c>, <c>is not a JSON
    /// object</c>, <c>is not readable text (…)</c>; or <see langword="null"/>, with the object.
    /// </summary>
    public static string? TryParseObject(ReadOnlyMemory<byte> utf8, out JsonElement value)
    {
        value = default;
        try
        {
            using var document = JsonDocument.Parse(utf8);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "is not a JSON object";
            }

            CheckText(document.RootElement);
            value = document.RootElement.Clone();
            return null;
        }
        catch (JsonException exception)
        {
            return $"is not valid JSON ({exception.Message})";
        }
        catch (InvalidOperationException exception)
        {
            return $"is not readable text ({exception.Message})";
        }
    }

    /// <summary>Gets a property of an object; <see langword="null"/> when the element is not an object, the property is missing or JSON <c>null</c>.</summary>
    public static JsonElement? Property(JsonElement? element, string name)
    {
        if (element is { ValueKind: JsonValueKind.Object } value
            && value.TryGetProperty(name, out var property)
            && property.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return property;
        }

        return null;
    }

    /// <summary>Gets a property when it is an object.</summary>
    public static JsonElement? Object(JsonElement? element, string name)
        => Property(element, name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    /// <summary>Gets a string property; <see langword="null"/> for any other kind.</summary>
    public static string? String(JsonElement? element, string name)
        => Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>Gets a scalar property as text: strings as they are, numbers and booleans as their JSON text.</summary>
    public static string? Scalar(JsonElement? element, string name)
        => Property(element, name) is { } value ? ScalarText(value) : null;

    /// <summary>Gets the text of a scalar: strings as they are, numbers and booleans as their JSON text, otherwise <see langword="null"/>.</summary>
    public static string? ScalarText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };

    /// <summary>Gets a string, or the JSON text of any other non-null value.</summary>
    public static string? StringOrRaw(JsonElement? element, string name)
        => Property(element, name) is { } value ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) : null;

    /// <summary>Gets a boolean property; <see langword="null"/> for any other kind.</summary>
    public static bool? Boolean(JsonElement? element, string name) => Property(element, name)?.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>Gets an integer property that fits in an <see cref="int"/>.</summary>
    public static int? Int32(JsonElement? element, string name)
        => Property(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var result) ? result : null;

    /// <summary>Gets an integer property that fits in a <see cref="long"/>.</summary>
    public static long? Int64(JsonElement? element, string name)
        => Property(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var result) ? result : null;

    /// <summary>
    /// Reads a string map in either of the forms Sentry accepts: an object <c>{"k":"v"}</c> or an array of pairs
    /// <c>[["k","v"]]</c>. Non-string scalar values are kept as their JSON text; <see langword="null"/> values and
    /// malformed entries are skipped; a later duplicate key wins.
    /// </summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonElement? element, IEqualityComparer<string>? comparer = null)
    {
        if (element is not { } value)
        {
            return s_emptyMap;
        }

        var map = new Dictionary<string, string>(comparer ?? StringComparer.Ordinal);
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                if (ScalarText(property.Value) is { } text)
                {
                    map[property.Name] = text;
                }
            }
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var pair in value.EnumerateArray())
            {
                if (pair.ValueKind == JsonValueKind.Array
                    && pair.GetArrayLength() == 2
                    && pair[0].ValueKind == JsonValueKind.String
                    && ScalarText(pair[1]) is { } text)
                {
                    map[pair[0].GetString()!] = text;
                }
            }
        }

        return map.Count == 0 ? s_emptyMap : map;
    }

    /// <summary>
    /// Enumerates the elements of a Sentry <c>Values</c> container: <c>{"values":[…]}</c> or a bare array.
    /// </summary>
    public static IEnumerable<JsonElement> Values(JsonElement? element)
    {
        var array = element switch
        {
            { ValueKind: JsonValueKind.Array } bare => bare,
            { ValueKind: JsonValueKind.Object } container when Property(container, "values") is { ValueKind: JsonValueKind.Array } values => values,
            _ => (JsonElement?)null,
        };

        return array is { } items ? items.EnumerateArray() : [];
    }

    /// <summary>Gets the string elements of an array property.</summary>
    public static IReadOnlyList<string> StringList(JsonElement? element, string name)
    {
        if (Property(element, name) is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }

        var list = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (ScalarText(item) is { } text)
            {
                list.Add(text);
            }
        }

        return list;
    }

    /// <summary>Reads every string and property name, which throws <see cref="InvalidOperationException"/> on unreadable text.</summary>
    private static void CheckText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    CheckText(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CheckText(item);
                }

                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }
}

/// <summary>The receiver's answers, <c>{"id": …}</c> and <c>{"detail": …}</c>, serialized without reflection.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class AnswerJsonContext : JsonSerializerContext;
