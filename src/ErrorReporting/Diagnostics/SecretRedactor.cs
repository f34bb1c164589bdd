using System.Text.RegularExpressions;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// Removes DSN keys from text bound for logs: the user-info part of URLs (<c>https://KEY@host</c>,
/// <c>https://KEY:SECRET@host</c>) and <c>sentry_key=</c>/<c>sentry_secret=</c> values of <c>X-Sentry-Auth</c>.
/// </summary>
internal static partial class SecretRedactor
{
    private const string Mask = "***";

    /// <summary>Returns <paramref name="text"/> with every DSN key replaced by <c>***</c>.</summary>
    public static string Redact(string text)
    {
        if (text.IndexOf('@', StringComparison.Ordinal) < 0 && text.IndexOf("sentry_", StringComparison.Ordinal) < 0)
        {
            return text;
        }

        var withoutUserInfo = UserInfo().Replace(text, "://" + Mask + "@");
        return AuthKey().Replace(withoutUserInfo, "$1=" + Mask);
    }

    [GeneratedRegex(@"://[^/@\s""']+@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"\b(sentry_key|sentry_secret)=[^,\s""']+", RegexOptions.CultureInvariant)]
    private static partial Regex AuthKey();
}
