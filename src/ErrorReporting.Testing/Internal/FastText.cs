using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// Small text helpers of the request path, written out rather than taken from the span and parsing helpers: in a
/// process that lives for seconds, those (generic or vectorized) helpers run unoptimized code for most of its life,
/// while these are compiled fully optimized at once.
/// </summary>
internal static class FastText
{
    /// <summary>Returns the index of the first <c>\n</c>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOfNewLine(ReadOnlySpan<byte> data)
    {
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(data);
        if (Vector128.IsHardwareAccelerated)
        {
            var newLine = Vector128.Create((byte)'\n');
            for (; i <= data.Length - Vector128<byte>.Count; i += Vector128<byte>.Count)
            {
                var found = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)i), newLine).ExtractMostSignificantBits();
                if (found != 0)
                {
                    return i + BitOperations.TrailingZeroCount(found);
                }
            }
        }

        for (; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Whether UTF-8 <paramref name="utf8"/> is exactly the ASCII text <paramref name="text"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool EqualsAscii(ReadOnlySpan<byte> utf8, string text)
    {
        if (utf8.Length != text.Length)
        {
            return false;
        }

        for (var i = 0; i < utf8.Length; i++)
        {
            if (text[i] > 0x7F || utf8[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether <paramref name="value"/> is plainly an event id: 32 ASCII hexadecimal digits, or the hyphenated
    /// 8-4-4-4-12 form. Every such value is one <see cref="Guid.TryParseExact(string, string, out Guid)"/> accepts
    /// (<c>N</c> or <c>D</c>); for any other, ask it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsPlainEventId(string value)
    {
        if (value.Length == 32)
        {
            foreach (var c in value)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return false;
                }
            }

            return true;
        }

        if (value.Length != 36)
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var hyphen = i is 8 or 13 or 18 or 23;
            if (hyphen ? value[i] != '-' : !char.IsAsciiHexDigit(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
