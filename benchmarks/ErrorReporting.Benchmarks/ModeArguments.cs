using System.Globalization;
using System.Numerics;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The <c>--name value</c> (or <c>--name=value</c>) options of the throughput and start-up modes. An unknown option
/// or a value out of range throws <see cref="ArgumentException"/>, which <c>Program</c> turns into the usage text.
/// </summary>
internal sealed class ModeArguments
{
    private readonly Dictionary<string, string> _values;

    private ModeArguments(Dictionary<string, string> values) => _values = values;

    public static ModeArguments Parse(IReadOnlyList<string> args, params string[] names)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            if (!names.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"Unknown option '{name}'. Options: {string.Join(", ", names)}.");
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"The option '{name}' needs a value.");
                }

                value = args[++i];
            }

            values[name] = value;
        }

        return new ModeArguments(values);
    }

    public string? GetString(string name) => _values.GetValueOrDefault(name);

    public double GetDouble(string name, double defaultValue, double min, double max) =>
        GetNumber(name, defaultValue, min, max, NumberStyles.Float, "a number");

    public int GetInt32(string name, int defaultValue, int min, int max) =>
        GetNumber(name, defaultValue, min, max, NumberStyles.Integer, "a whole number");

    private T GetNumber<T>(string name, T defaultValue, T min, T max, NumberStyles style, string kind)
        where T : INumber<T>
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return defaultValue;
        }

        if (!T.TryParse(text, style, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ArgumentException($"The option '{name}' must be {kind} from {min.ToString(null, CultureInfo.InvariantCulture)} to {max.ToString(null, CultureInfo.InvariantCulture)}, not '{text}'.");
        }

        return value;
    }
}
