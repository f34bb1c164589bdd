using System.Text;

namespace ErrorReporting.Testing.Tests;

/// <summary>
/// Random JSON texts for differential tests. <c>clean</c> ones are what the receiver's fast check must decide on its
/// own (standard JSON, no surrogate escapes, shallow, unescaped top-level names); the others add what it leaves to the
/// exact check: escaped names, unpaired surrogate escapes, deep nesting.
/// </summary>
internal sealed class JsonGenerator(Random random, bool clean, bool newLinesInWhiteSpace = false)
{
    private static readonly string[] s_names =
    [
        "event_id", "sent_at", "type", "length", "a", "b", "message", "level", "exception", "values", "frames", "x y", "d\u00e9j\u00e0", "\U0001F600", "",
    ];

    private static readonly string[] s_numbers =
    [
        "0", "-0", "7", "-12", "3.25", "-0.5", "1e10", "2E-3", "6.02e+23", "123456789012345678901234567890", "1.0", "9223372036854775807", "-9223372036854775809",
    ];

    private static readonly string[] s_cleanEscapes = [@"\""", @"\\", @"\/", @"\b", @"\f", @"\n", @"\r", @"\t", @"\u00e9", @"\u003C", @"\u0000", @"\u001F", @"\uFFFF"];

    private static readonly string[] s_otherEscapes = [@"\ud83d\ude00", @"\uD800", @"\uDC00x", @"\ud83d"];

    public string Object(int depth = 0)
    {
        var text = new StringBuilder("{");
        var count = random.Next(0, depth == 0 ? 7 : 4);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                text.Append(WhiteSpace()).Append(',');
            }

            text.Append(WhiteSpace()).Append(Name(topLevel: depth == 0)).Append(WhiteSpace()).Append(':').Append(WhiteSpace()).Append(Value(depth + 1));
        }

        return text.Append(WhiteSpace()).Append('}').ToString();
    }

    public string Value(int depth)
    {
        if (!clean && depth == 1 && random.Next(40) == 0)
        {
            var levels = random.Next(55, 70);
            return new string('[', levels) + new string(']', levels);
        }

        return random.Next(depth >= 5 ? 7 : 10) switch
        {
            0 or 1 or 2 => String(),
            3 or 4 => s_numbers[random.Next(s_numbers.Length)],
            5 => "true",
            6 => random.Next(2) == 0 ? "false" : "null",
            7 or 8 => Object(depth),
            _ => Array(depth),
        };
    }

    public string String()
    {
        var text = new StringBuilder("\"");
        var pieces = random.Next(0, 6);
        for (var i = 0; i < pieces; i++)
        {
            text.Append(random.Next(9) switch
            {
                0 => s_cleanEscapes[random.Next(s_cleanEscapes.Length)],
                1 when !clean => s_otherEscapes[random.Next(s_otherEscapes.Length)],
                2 => "\u00e9t\u00e9 \u4e2d\U0001F600",
                3 => new string('x', random.Next(1, 40)),
                _ => RandomAscii(random.Next(1, 12)),
            });
        }

        return text.Append('"').ToString();
    }

    private string Name(bool topLevel)
    {
        var name = random.Next(3) == 0 ? RandomAscii(random.Next(1, 8)) : s_names[random.Next(s_names.Length)];
        if (!clean && random.Next(6) == 0)
        {
            // The same name, escaped: the fast check leaves escaped top-level names to the exact one.
            return "\"" + string.Concat(name.Select(c => c is >= 'a' and <= 'z' && random.Next(2) == 0 ? $"\\u{(int)c:x4}" : c.ToString())) + "\"";
        }

        return topLevel || clean ? JsonQuote(name) : String();
    }

    private string Array(int depth)
    {
        var text = new StringBuilder("[");
        var count = random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                text.Append(WhiteSpace()).Append(',');
            }

            text.Append(WhiteSpace()).Append(Value(depth + 1));
        }

        return text.Append(WhiteSpace()).Append(']').ToString();
    }

    private string WhiteSpace() => random.Next(newLinesInWhiteSpace ? 6 : 5) switch
    {
        0 => " ",
        1 => "\t",
        2 => "\r",
        3 => "  ",
        4 => "",
        _ => "\n",
    };

    private string RandomAscii(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            // Printable ASCII without the quote and the backslash.
            var c = (char)random.Next(0x20, 0x7F);
            chars[i] = c is '"' or '\\' ? 'q' : c;
        }

        return new string(chars);
    }

    private static string JsonQuote(string text)
        => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Damages a text: deletes, inserts or replaces bytes, cuts it short or repeats a slice.</summary>
    public static byte[] Mutate(byte[] data, Random random)
    {
        byte[] interesting = [0x00, 0x0A, 0x0D, 0x20, (byte)'"', (byte)',', (byte)':', (byte)'\\', (byte)'[', (byte)']', (byte)'{', (byte)'}', 0x80, 0xC3, 0xED, 0xFF, (byte)'e', (byte)'-', (byte)'0', (byte)'1', (byte)'u', (byte)'.'];
        var bytes = new List<byte>(data);
        var operations = random.Next(1, 4);
        for (var i = 0; i < operations; i++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, interesting[random.Next(interesting.Length)]);
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = interesting[random.Next(interesting.Length)];
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    var length = Math.Min(random.Next(1, 8), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }

    public static string EventId(Random random) => random.Next(4) switch
    {
        0 => Guid.NewGuid().ToString("D").ToUpperInvariant(),
        _ => Guid.NewGuid().ToString("N"),
    };
}
