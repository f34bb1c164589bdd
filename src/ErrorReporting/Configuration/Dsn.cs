using System.Diagnostics.CodeAnalysis;

namespace ErrorReporting.Configuration;

/// <summary>
/// A parsed Sentry DSN: <c>{scheme}://{public_key}[:{secret_key}]@{host}[:{port}][/{path}]/{project_id}</c>.
/// </summary>
internal sealed class Dsn
{
    private Dsn(Uri envelopeUri, string publicKey, string? secretKey, string projectId, string redacted)
    {
        EnvelopeUri = envelopeUri;
        PublicKey = publicKey;
        SecretKey = secretKey;
        ProjectId = projectId;
        Redacted = redacted;
    }

    /// <summary>Gets the envelope endpoint: <c>{scheme}://{host}[:{port}]{path}/api/{project_id}/envelope/</c>.</summary>
    public Uri EnvelopeUri { get; }

    public string PublicKey { get; }

    public string? SecretKey { get; }

    public string ProjectId { get; }

    /// <summary>Gets the DSN without its keys, safe to log: <c>https://***@host/path/project</c>.</summary>
    public string Redacted { get; }

    public static Dsn Parse(string value)
        => TryParse(value, out var dsn, out var error) ? dsn : throw new FormatException(error);

    /// <summary>
    /// Parses a DSN. The error text never contains the keys.
    /// </summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out Dsn? dsn, [NotNullWhen(false)] out string? error)
    {
        dsn = null;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri))
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
        var envelopeUri = new Uri($"{authority}{prefix}/api/{projectId}/envelope/", UriKind.Absolute);
        var redacted = $"{uri.Scheme}://***@{uri.Authority}{prefix}/{projectId}";
        dsn = new Dsn(envelopeUri, publicKey, string.IsNullOrEmpty(secretKey) ? null : secretKey, Uri.UnescapeDataString(projectId), redacted);
        error = null;
        return true;
    }

    public override string ToString() => Redacted;
}
