namespace ErrorReporting.Reporting;

/// <summary>The rule for the mechanism types callers pass to <see cref="IErrorReporter.ReportUnhandled"/>.</summary>
internal static class Mechanisms
{
    /// <summary>What a blank mechanism becomes.</summary>
    public const string Unhandled = "unhandled";

    /// <summary>
    /// Trims <paramref name="mechanism"/> and replaces whitespace inside it with <c>_</c> (Sentry does not allow
    /// whitespace in a mechanism type); a blank value becomes <see cref="Unhandled"/>.
    /// </summary>
    public static string Normalize(string mechanism)
    {
        var trimmed = mechanism.Trim();
        if (trimmed.Length == 0)
        {
            return Unhandled;
        }

        foreach (var c in trimmed)
        {
            if (char.IsWhiteSpace(c))
            {
                return string.Create(trimmed.Length, trimmed, static (span, source) =>
                {
                    for (var i = 0; i < span.Length; i++)
                    {
                        span[i] = char.IsWhiteSpace(source[i]) ? '_' : source[i];
                    }
                });
            }
        }

        return trimmed;
    }
}
