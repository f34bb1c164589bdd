using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace ErrorReporting.Testing.Internal;

/// <summary>What is wrong with a JSON text that must be one object.</summary>
internal enum JsonProblem
{
    /// <summary>A valid JSON object whose strings are all readable.</summary>
    None,

    /// <summary>Not valid JSON: the detail is the reader's message (the same one <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> gives).</summary>
    Syntax,

    /// <summary>Valid JSON, but not an object.</summary>
    NotObject,

    /// <summary>A valid JSON object with a string that is not valid Unicode: invalid UTF-8, or an escaped unpaired surrogate.</summary>
    InvalidText,
}

/// <summary>Sees the top-level properties of an object during <see cref="JsonScan.CheckObject"/>.</summary>
internal interface ITopLevelVisitor
{
    /// <summary>
    /// Called with the reader on a top-level property name. Returns an id to be called back with the value, or -1.
    /// Must not move the reader.
    /// </summary>
    int OnName(ref Utf8JsonReader reader);

    /// <summary>
    /// Called with the reader on the first token of the value of a property <see cref="OnName"/> kept. Must not move
    /// the reader, and must not throw on unreadable text (the scan reports it afterwards).
    /// </summary>
    void OnValue(int id, ref Utf8JsonReader reader);
}

/// <summary>
/// One <see cref="Utf8JsonReader"/> pass that checks a JSON text is one object, as strictly as parsing it into a
/// <see cref="JsonDocument"/> would (same options, same messages), and that every string in it can be read. No DOM is
/// built and nothing is allocated unless something is wrong.
/// </summary>
internal static class JsonScan
{
    private const int StackCharBuffer = 256;

    /// <summary>Checks a JSON text that must be an object.</summary>
    /// <param name="json">The text.</param>
    /// <param name="visitor">Sees the top-level properties (only when the root is an object).</param>
    /// <param name="detail">The reader's message (<see cref="JsonProblem.Syntax"/>) or what is unreadable (<see cref="JsonProblem.InvalidText"/>).</param>
    /// <returns>The first problem, in this order: syntax, not an object, unreadable text.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static JsonProblem CheckObject<TVisitor>(ReadOnlySpan<byte> json, ref TVisitor visitor, out string? detail)
        where TVisitor : struct, ITopLevelVisitor
    {
        detail = null;
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        var root = JsonTokenType.None;
        var pending = -1;
        string? textProblem = null;
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (root == JsonTokenType.None)
                {
                    root = token;
                }

                if (pending >= 0)
                {
                    visitor.OnValue(pending, ref reader);
                    pending = -1;
                }

                if (token is JsonTokenType.PropertyName or JsonTokenType.String)
                {
                    if (reader.ValueIsEscaped && textProblem is null)
                    {
                        textProblem = CheckEscapedText(ref reader);
                    }

                    if (token == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && root == JsonTokenType.StartObject)
                    {
                        pending = visitor.OnName(ref reader);
                    }
                }
            }
        }
        catch (JsonException exception)
        {
            detail = exception.Message;
            return JsonProblem.Syntax;
        }

        if (root != JsonTokenType.StartObject)
        {
            return JsonProblem.NotObject;
        }

        // Outside strings the reader accepts only ASCII, so this checks the unescaped text of every string.
        if (!Utf8.IsValid(json))
        {
            detail = $"invalid UTF-8 at byte {FirstInvalidUtf8(json)}";
            return JsonProblem.InvalidText;
        }

        if (textProblem is not null)
        {
            detail = textProblem;
            return JsonProblem.InvalidText;
        }

        return JsonProblem.None;
    }

    /// <summary>Checks a JSON text that must be an object, without looking at its properties.</summary>
    public static JsonProblem CheckObject(ReadOnlySpan<byte> json, out string? detail)
    {
        var visitor = default(NoVisitor);
        return CheckObject(json, ref visitor, out detail);
    }

    /// <summary>Gets the string of the reader's current token, or <see langword="null"/> when it cannot be read (the scan reports why).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Unescapes the current string or property name; returns why it is unreadable, or <see langword="null"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? CheckEscapedText(ref Utf8JsonReader reader)
    {
        // An unescaped string is never longer in UTF-16 code units than its escaped UTF-8 form.
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[]? rented = null;
        Span<char> buffer = length <= StackCharBuffer ? stackalloc char[StackCharBuffer] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            reader.CopyString(buffer);
            return null;
        }
        catch (InvalidOperationException exception)
        {
            return $"a string at byte {reader.TokenStartIndex} cannot be read: {exception.Message}";
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        var index = 0;
        while (index < text.Length)
        {
            if (Rune.DecodeFromUtf8(text[index..], out _, out var consumed) != OperationStatus.Done)
            {
                return index;
            }

            index += consumed;
        }

        return index;
    }

    private struct NoVisitor : ITopLevelVisitor
    {
        public readonly int OnName(ref Utf8JsonReader reader) => -1;

        public readonly void OnValue(int id, ref Utf8JsonReader reader)
        {
        }
    }
}
