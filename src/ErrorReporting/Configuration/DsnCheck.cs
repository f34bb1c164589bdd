namespace ErrorReporting.Configuration;

/// <summary>
/// Checks a DSN at start-up by the rules of Sentry's DSN format (an absolute URI, the project's public key as its user
/// name, the project id as the last segment of its path), which are the rules the SDK's parser applies: a
/// test holds this check and <see cref="SentryEndpoint.Create"/> (the SDK's own parser, through its transport base
/// class) to the same answer for every DSN of its list. The check is a <see cref="Uri"/> and a few string tests;
/// building the SDK's request to read the endpoint costs a cold process some 15 ms (System.Net.Http's request and
/// headers, a second <see cref="SentryOptions"/>), which start-up need not pay: the endpoint is read when the
/// delivery engine needs it.
/// </summary>
internal static class DsnCheck
{
    /// <summary>
    /// Returns why <paramref name="dsn"/> is not a valid Sentry DSN, or <see langword="null"/> when it is one. The
    /// reason never contains the DSN or its keys.
    /// </summary>
    public static string? FindProblem(string dsn)
    {
        ArgumentNullException.ThrowIfNull(dsn);
        Uri uri;
        try
        {
            uri = new Uri(dsn, UriKind.Absolute);
        }
        catch (UriFormatException exception)
        {
            return exception.Message;
        }

        var userInfo = uri.UserInfo;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        if (string.IsNullOrWhiteSpace(colon >= 0 ? userInfo[..colon] : userInfo))
        {
            return "no public key (the user name before '@')";
        }

        var absolute = uri.AbsoluteUri;
        if (!uri.AbsolutePath.Contains('/', StringComparison.Ordinal) || string.IsNullOrWhiteSpace(absolute[(absolute.LastIndexOf('/') + 1)..]))
        {
            return "no project id (the last segment of the path)";
        }

        return null;
    }
}
