namespace TutorialApp;

/// <summary>Event ids as people paste them.</summary>
internal static class EventIds
{
    private static readonly char[] s_wrapping = [' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>'];

    /// <summary>
    /// Returns the id in Sentry's wire form (32 lowercase hexadecimal digits), or <see langword="null"/> when
    /// <paramref name="text"/> is not an event id. Accepted: the wire form, a GUID with dashes, braces or parentheses,
    /// any case, with surrounding whitespace or quotes (as copied from a log line or a JSON body).
    /// </summary>
    public static string? Normalize(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var trimmed = text.Trim(s_wrapping);
        return trimmed.Length is >= 32 and <= 38 && Guid.TryParse(trimmed, out var id) ? id.ToString("N") : null;
    }
}
