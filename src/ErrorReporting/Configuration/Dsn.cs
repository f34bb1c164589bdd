using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ErrorReporting.Configuration;

/// <summary>
/// A parsed Sentry DSN: <c>{scheme}://{public_key}[:{secret_key}]@{host}[:{port}][/{path}]/{project_id}</c>.
/// </summary>
internal sealed class Dsn
{
    private Uri? _envelopeUri;

    private Dsn(string envelopeUrl, string publicKey, string? secretKey, string projectId, string redacted)
    {
        EnvelopeUrl = envelopeUrl;
        PublicKey = publicKey;
        SecretKey = secretKey;
        ProjectId = projectId;
        Redacted = redacted;
    }

    /// <summary>Gets the envelope endpoint: <c>{scheme}://{host}[:{port}]{path}/api/{project_id}/envelope/</c>.</summary>
    public string EnvelopeUrl { get; }

    /// <summary>Gets <see cref="EnvelopeUrl"/> as a <see cref="Uri"/> (built on first use, off the start-up path).</summary>
    public Uri EnvelopeUri => _envelopeUri ??= new Uri(EnvelopeUrl, UriKind.Absolute);

    public string PublicKey { get; }

    public string? SecretKey { get; }

    public string ProjectId { get; }

    /// <summary>Gets the DSN without its keys, safe to log: <c>https://***@host/path/project</c>.</summary>
    public string Redacted { get; }

    public static Dsn Parse(string value)
        => TryParse(value, out var dsn, out var error) ? dsn : throw new FormatException(error);

    /// <summary>
    /// Parses a DSN. The error text never contains the keys. The usual shape is read directly; anything else (escapes,
    /// international host names, IPv6, a query) is parsed by <see cref="Uri"/>, whose first use costs milliseconds of
    /// start-up.
    /// </summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out Dsn? dsn, [NotNullWhen(false)] out string? error)
    {
        var trimmed = value.Trim();
        if (TryParsePlain(trimmed, out dsn))
        {
            error = null;
            return true;
        }

        return TryParseUri(trimmed, out dsn, out error);
    }

    public override string ToString() => Redacted;

    /// <summary>
    /// Reads <c>http[s]://{key}[:{secret}]@{host}[:{port}][/{path}]/{project}</c> made of unreserved ASCII characters
    /// only, which <see cref="Uri"/> would read the same way. Returns <see langword="false"/> for anything else.
    /// </summary>
    internal static bool TryParsePlain(string value, [NotNullWhen(true)] out Dsn? dsn)
    {
        dsn = null;
        string scheme;
        if (value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "https";
        }
        else if (value.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "http";
        }
        else
        {
            return false;
        }

        var rest = value.AsSpan(scheme.Length + 3);
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return false;
        }

        var authority = rest[..slash];
        var path = rest[slash..];
        var at = authority.IndexOf('@');
        if (at <= 0)
        {
            return false;
        }

        var userInfo = authority[..at];
        var hostPort = authority[(at + 1)..];
        var colon = userInfo.IndexOf(':');
        var publicKey = colon < 0 ? userInfo : userInfo[..colon];
        var secretKey = colon < 0 ? default : userInfo[(colon + 1)..];
        var portColon = hostPort.IndexOf(':');
        var host = portColon < 0 ? hostPort : hostPort[..portColon];
        var port = portColon < 0 ? default : hostPort[(portColon + 1)..];
        var lastSlash = path.LastIndexOf('/');
        var projectId = path[(lastSlash + 1)..];
        var prefix = path[..lastSlash];
        if (publicKey.IsEmpty || !IsUnreserved(publicKey) || secretKey.IndexOf(':') >= 0 || !IsUnreserved(secretKey)
            || !IsHostName(host) || (portColon >= 0 && !IsPort(port))
            || projectId.IsEmpty || projectId is "." or ".." || !IsUnreserved(projectId) || !IsPath(prefix))
        {
            return false;
        }

        // Uri drops a default port and lower-cases the host: so does this.
        var defaultPort = scheme == "https" ? "443" : "80";
        var hostText = host.ToString().ToLowerInvariant();
        var authorityText = portColon < 0 || port.TrimStart('0').SequenceEqual(defaultPort) ? hostText : $"{hostText}:{int.Parse(port, CultureInfo.InvariantCulture)}";
        dsn = new Dsn(
            $"{scheme}://{authorityText}{prefix}/api/{projectId}/envelope/",
            publicKey.ToString(),
            secretKey.IsEmpty ? null : secretKey.ToString(),
            projectId.ToString(),
            $"{scheme}://***@{authorityText}{prefix}/{projectId}");
        return true;
    }

    internal static bool TryParseUri(string value, [NotNullWhen(true)] out Dsn? dsn, [NotNullWhen(false)] out string? error)
    {
        dsn = null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            error = "it is not an absolute URI";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"its scheme must be http or https, not '{uri.Scheme}'";
            return false;
        }

        var userInfo = uri.UserInfo;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var publicKey = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var secretKey = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        if (publicKey.Length == 0)
        {
            error = "it has no public key (expected {scheme}://{public_key}@{host}/{project_id})";
            return false;
        }

        var path = uri.AbsolutePath;
        var lastSlash = path.LastIndexOf('/');
        var projectId = path[(lastSlash + 1)..];
        if (projectId.Length == 0)
        {
            error = "it has no project id (expected {scheme}://{public_key}@{host}/{project_id}, without a trailing '/')";
            return false;
        }

        var prefix = path[..lastSlash];
        var authority = uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);
        dsn = new Dsn(
            $"{authority}{prefix}/api/{projectId}/envelope/",
            publicKey,
            string.IsNullOrEmpty(secretKey) ? null : secretKey,
            Uri.UnescapeDataString(projectId),
            $"{uri.Scheme}://***@{uri.Authority}{prefix}/{projectId}");
        error = null;
        return true;
    }

    private static bool IsUnreserved(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsHostName(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty || host[0] == '.' || host[^1] == '.' || host[0] == '-' || host.IndexOf("..") >= 0)
        {
            return false;
        }

        foreach (var c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPort(ReadOnlySpan<char> port)
        => !port.IsEmpty && port.Length <= 5 && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535;

    private static bool IsPath(ReadOnlySpan<char> prefix)
    {
        foreach (var c in prefix)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '/'))
            {
                return false;
            }
        }

        return prefix.IndexOf("//") < 0 && prefix.IndexOf("/./") < 0 && prefix.IndexOf("/../") < 0 && !prefix.EndsWith("/.") && !prefix.EndsWith("/..");
    }
}
