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

    /// <summary>
    /// Returns <paramref name="text"/> without DSN keys, also where one of <paramref name="keys"/> stands alone: a
    /// server's error may echo the key it refused (<c>unknown public key '…'</c>).
    /// </summary>
    public static string Redact(string text, string[] keys)
    {
        var redacted = Redact(text);
        foreach (var key in keys)
        {
            if (key.Length > 0)
            {
                redacted = redacted.Replace(key, Mask, StringComparison.OrdinalIgnoreCase);
            }
        }

        return redacted;
    }

    /// <summary>Gets the keys in a DSN's user info (the public key and, in old DSNs, the secret), for <see cref="Redact(string, string[])"/>.</summary>
    public static string[] KeysOf(Uri? dsn)
        => dsn is { UserInfo.Length: > 0 } ? Array.ConvertAll(dsn.UserInfo.Split(':'), Uri.UnescapeDataString) : [];

    [GeneratedRegex(@"://[^/@\s""']+@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"\b(sentry_key|sentry_secret)=[^,\s""']+", RegexOptions.CultureInvariant)]
    private static partial Regex AuthKey();
}
