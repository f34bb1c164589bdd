using System.Text;
using System.Text.Json;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// Builds the typed views of received data on first use, from the bytes kept. Thread-safe: racing first readers may
/// each build a value, but only the first one published is ever returned, so every reader sees the same instance.
/// </summary>
internal static class LazyView
{
    /// <summary>Returns <paramref name="field"/>, publishing <paramref name="built"/> into it first if it is still <see langword="null"/>.</summary>
    public static T Publish<T>(ref T? field, T built)
        where T : class
        => Interlocked.CompareExchange(ref field, built, null) ?? built;

    /// <summary>Parses a checked JSON value into an element that owns a copy of its bytes (it never needs disposing).</summary>
    public static JsonBox ParseJson(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span);
        return new JsonBox(JsonElement.ParseValue(ref reader));
    }

    /// <summary>Decodes UTF-8 text (invalid sequences become U+FFFD).</summary>
    public static string Text(ReadOnlyMemory<byte> utf8) => Encoding.UTF8.GetString(utf8.Span);
}

/// <summary>A <see cref="JsonElement"/> (a struct too large to publish atomically) in a box that can be.</summary>
internal sealed class JsonBox(JsonElement value)
{
    public JsonElement Value { get; } = value;
}
