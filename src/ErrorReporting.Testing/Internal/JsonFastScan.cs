using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Text.Unicode;

namespace ErrorReporting.Testing.Internal;

/// <summary>Sees the top-level members of an object during <see cref="JsonFastScan.TryCheckObject"/>.</summary>
internal interface IFastMemberVisitor
{
    /// <summary>
    /// Called for each top-level member, in order. <paramref name="kind"/> is the value's first token:
    /// <see cref="JsonTokenType.String"/> (the value is the text between the quotes, escaped as sent),
    /// <see cref="JsonTokenType.Number"/> (its text), <see cref="JsonTokenType.True"/>, <see cref="JsonTokenType.False"/>,
    /// <see cref="JsonTokenType.Null"/>, <see cref="JsonTokenType.StartObject"/> or <see cref="JsonTokenType.StartArray"/>
    /// (an empty value). Returns <see langword="false"/> to give up (the exact check then runs instead).
    /// </summary>
    bool OnMember(ReadOnlySpan<byte> json, Range name, JsonTokenType kind, Range value, bool valueEscaped);
}

/// <summary>
/// A fast, conservative check that a JSON text is one object of readable text, for the common case: it either
/// confirms that <see cref="JsonScan.CheckObject{TVisitor}"/> would find no problem, or gives up (never refuses).
/// </summary>
/// <remarks>
/// <para>
/// It follows RFC 8259 as <see cref="Utf8JsonReader"/> does with default options (no comments, no trailing commas),
/// and gives up on anything it does not need to decide: deep nesting, surrogate escapes, escaped top-level names,
/// invalid UTF-8, any syntax error. The caller then runs the exact check, which decides and words the refusal.
/// </para>
/// <para>
/// Why it exists: a test server lives for seconds, and its process is busy with other code. In such a process the
/// framework code the exact check spends its time in (<see cref="Utf8JsonReader"/>, and the generic vectorized span
/// helpers behind <c>IndexOfAny</c>) runs unoptimized or instrumented code for most of the run, several times slower
/// than when optimized. This code is compiled fully optimized on first use and calls no such helper: strings are
/// skipped with <see cref="Vector128"/> operations, which compile to single instructions.
/// </para>
/// </remarks>
internal static class JsonFastScan
{
    /// <summary>Deeper nesting is left to the exact check (whose limit, <see cref="JsonReaderOptions.MaxDepth"/> by default, is 64).</summary>
    private const int MaxDepth = 60;

    /// <summary>Returns <see langword="true"/> when <paramref name="json"/> is certainly one object of readable text; <see langword="false"/> when unsure.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryCheckObject<TVisitor>(ReadOnlySpan<byte> json, ref TVisitor visitor)
        where TVisitor : struct, IFastMemberVisitor
    {
        var i = SkipWhiteSpace(json, 0);
        if (i >= json.Length || json[i] != (byte)'{')
        {
            return false;
        }

        // Only strings may hold bytes over 0x7F (anything else fails the grammar): UTF-8 is checked when one did.
        var nonAscii = false;

        i = SkipWhiteSpace(json, i + 1);
        if (i >= json.Length)
        {
            return false;
        }

        if (json[i] != (byte)'}')
        {
            while (true)
            {
                if (!SkipMemberName(json, ref i, ref nonAscii, out var name, out var nameEscaped) || nameEscaped)
                {
                    return false;
                }

                var valueStart = i;
                var kind = KindOf(json[i]);
                var valueEscaped = false;
                Range value;
                if (kind == JsonTokenType.String)
                {
                    if (!SkipString(json, ref i, ref nonAscii, out valueEscaped))
                    {
                        return false;
                    }

                    value = (valueStart + 1)..(i - 1);
                }
                else
                {
                    if (kind == JsonTokenType.None || !SkipValue(json, ref i, depth: 1, ref nonAscii))
                    {
                        return false;
                    }

                    value = kind == JsonTokenType.Number ? valueStart..i : valueStart..valueStart;
                }

                if (!visitor.OnMember(json, name, kind, value, valueEscaped) || !SkipSeparator(json, ref i, (byte)'}', out var closed))
                {
                    return false;
                }

                if (closed)
                {
                    break;
                }
            }
        }

        // json[i] is the closing brace: only white space may follow.
        return SkipWhiteSpace(json, i + 1) == json.Length && (!nonAscii || Utf8.IsValid(json));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static JsonTokenType KindOf(byte first) => first switch
    {
        (byte)'"' => JsonTokenType.String,
        (byte)'{' => JsonTokenType.StartObject,
        (byte)'[' => JsonTokenType.StartArray,
        (byte)'t' => JsonTokenType.True,
        (byte)'f' => JsonTokenType.False,
        (byte)'n' => JsonTokenType.Null,
        (byte)'-' or (>= (byte)'0' and <= (byte)'9') => JsonTokenType.Number,
        _ => JsonTokenType.None,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhiteSpace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    /// <summary>Skips a string (<paramref name="i"/> on its opening quote, then after its closing one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SkipString(ReadOnlySpan<byte> json, ref int i, ref bool nonAscii, out bool escaped)
    {
        escaped = false;
        i++;
        while (true)
        {
            i = IndexOfStringStop(json, i, ref nonAscii);
            if (i < 0)
            {
                return false;
            }

            var c = json[i];
            if (c == (byte)'"')
            {
                i++;
                return true;
            }

            if (c != (byte)'\\' || i + 1 >= json.Length)
            {
                return false;
            }

            escaped = true;
            switch (json[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;

                case (byte)'u':
                    // A surrogate escape may be unpaired (unreadable): the exact check decides.
                    if (i + 5 >= json.Length || !TryHex(json.Slice(i + 2, 4), out var code) || code is >= 0xD800 and <= 0xDFFF)
                    {
                        return false;
                    }

                    i += 6;
                    break;

                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// Finds what ends the plain part of a string from <paramref name="i"/>: its closing quote, an escape, or a control
    /// character (invalid); -1 when there is none. Notes whether it passed a byte over 0x7F.
    /// </summary>
    /// <remarks>Written out rather than with <c>IndexOfAny</c>: those generic helpers run unoptimized for most of a short-lived process.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int IndexOfStringStop(ReadOnlySpan<byte> json, int i, ref bool nonAscii)
    {
        ref var start = ref MemoryMarshal.GetReference(json);
        if (Vector128.IsHardwareAccelerated)
        {
            var quote = Vector128.Create((byte)'"');
            var backslash = Vector128.Create((byte)'\\');
            var space = Vector128.Create((byte)0x20);
            while (i <= json.Length - Vector128<byte>.Count)
            {
                var bytes = Vector128.LoadUnsafe(ref start, (nuint)i);
                var stops = (Vector128.Equals(bytes, quote) | Vector128.Equals(bytes, backslash) | Vector128.LessThan(bytes, space)).ExtractMostSignificantBits();
                var high = bytes.ExtractMostSignificantBits();
                if (stops != 0)
                {
                    var offset = BitOperations.TrailingZeroCount(stops);
                    nonAscii |= (high & ((1u << offset) - 1)) != 0;
                    return i + offset;
                }

                nonAscii |= high != 0;
                i += Vector128<byte>.Count;
            }
        }

        for (; i < json.Length; i++)
        {
            var b = json[i];
            if (b is (byte)'"' or (byte)'\\' or < 0x20)
            {
                return i;
            }

            nonAscii |= b > 0x7F;
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryHex(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (var digit in digits)
        {
            int nibble = digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
                _ => -1,
            };
            if (nibble < 0)
            {
                return false;
            }

            value = (value << 4) | nibble;
        }

        return true;
    }

    /// <summary>Skips any value but a string at <paramref name="i"/> (inside an object or array of depth <paramref name="depth"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SkipValue(ReadOnlySpan<byte> json, ref int i, int depth, ref bool nonAscii)
    {
        switch (json[i])
        {
            case (byte)'"':
                return SkipString(json, ref i, ref nonAscii, out _);

            case (byte)'{':
                return SkipContainer(json, ref i, depth + 1, isObject: true, ref nonAscii);

            case (byte)'[':
                return SkipContainer(json, ref i, depth + 1, isObject: false, ref nonAscii);

            case (byte)'t':
                return SkipLiteral(json, ref i, "true"u8);

            case (byte)'f':
                return SkipLiteral(json, ref i, "false"u8);

            case (byte)'n':
                return SkipLiteral(json, ref i, "null"u8);

            default:
                return SkipNumber(json, ref i);
        }
    }

    /// <summary>Skips an object or array (<paramref name="i"/> on its opening bracket, then after its closing one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SkipContainer(ReadOnlySpan<byte> json, ref int i, int depth, bool isObject, ref bool nonAscii)
    {
        if (depth > MaxDepth)
        {
            return false;
        }

        var close = isObject ? (byte)'}' : (byte)']';
        i = SkipWhiteSpace(json, i + 1);
        if (i >= json.Length)
        {
            return false;
        }

        if (json[i] == close)
        {
            i++;
            return true;
        }

        while (true)
        {
            if ((isObject && !SkipMemberName(json, ref i, ref nonAscii, out _, out _))
                || !SkipValue(json, ref i, depth, ref nonAscii)
                || !SkipSeparator(json, ref i, close, out var closed))
            {
                return false;
            }

            if (closed)
            {
                i++;
                return true;
            }
        }
    }

    /// <summary>
    /// Skips an object member's name and colon (<paramref name="i"/> on the name's opening quote, then on the value's
    /// first byte); <paramref name="name"/> is the text between the quotes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SkipMemberName(ReadOnlySpan<byte> json, ref int i, ref bool nonAscii, out Range name, out bool escaped)
    {
        var start = i + 1;
        name = default;
        escaped = false;
        if (json[i] != (byte)'"' || !SkipString(json, ref i, ref nonAscii, out escaped))
        {
            return false;
        }

        name = start..(i - 1);
        i = SkipWhiteSpace(json, i);
        if (i >= json.Length || json[i] != (byte)':')
        {
            return false;
        }

        i = SkipWhiteSpace(json, i + 1);
        return i < json.Length;
    }

    /// <summary>
    /// Skips what follows a member or element (<paramref name="i"/> after it): <paramref name="closed"/> when it is the
    /// container's <paramref name="close"/> bracket (<paramref name="i"/> then on it), else a comma (<paramref name="i"/>
    /// then on the next value's first byte; a trailing comma fails that value's check).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SkipSeparator(ReadOnlySpan<byte> json, ref int i, byte close, out bool closed)
    {
        i = SkipWhiteSpace(json, i);
        closed = i < json.Length && json[i] == close;
        if (closed)
        {
            return true;
        }

        if (i >= json.Length || json[i] != (byte)',')
        {
            return false;
        }

        i = SkipWhiteSpace(json, i + 1);
        return i < json.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SkipLiteral(ReadOnlySpan<byte> json, ref int i, ReadOnlySpan<byte> literal)
    {
        if (json.Length - i < literal.Length)
        {
            return false;
        }

        for (var k = 0; k < literal.Length; k++)
        {
            if (json[i + k] != literal[k])
            {
                return false;
            }
        }

        i += literal.Length;
        return IsDelimiter(json, i);
    }

    /// <summary>RFC 8259: <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>, then a delimiter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SkipNumber(ReadOnlySpan<byte> json, ref int i)
    {
        if (json[i] == (byte)'-')
        {
            i++;
        }

        if (i >= json.Length)
        {
            return false;
        }

        if (json[i] == (byte)'0')
        {
            i++;
        }
        else if (!SkipDigits(json, ref i))
        {
            return false;
        }

        if (i < json.Length && json[i] == (byte)'.')
        {
            i++;
            if (!SkipDigits(json, ref i))
            {
                return false;
            }
        }

        if (i < json.Length && json[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            if (!SkipDigits(json, ref i))
            {
                return false;
            }
        }

        return IsDelimiter(json, i);
    }

    /// <summary>Skips one digit or more.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SkipDigits(ReadOnlySpan<byte> json, ref int i)
    {
        var start = i;
        while (i < json.Length && json[i] is >= (byte)'0' and <= (byte)'9')
        {
            i++;
        }

        return i > start;
    }

    /// <summary>What may follow a number or literal inside an object or array.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDelimiter(ReadOnlySpan<byte> json, int i)
        => i < json.Length && json[i] is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
