using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ErrorReporting.Testing;

namespace TutorialApp;

/// <summary>
/// Where the tutorial's events go, decided before the reporter is built: to the Sentry project of a configured DSN
/// (<c>Sentry:Dsn</c>, or <c>SENTRY_DSN</c> when that key is absent), else to the app itself, which hosts a Sentry-compatible envelope
/// endpoint (<see cref="SentryEnvelopeReceiver"/>) and shows what it received at <c>/issues</c>.
/// </summary>
internal sealed class EventDestination
{
    /// <summary>The URL the app listens on when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    private const string ProjectId = "1";

    private EventDestination(SentryEnvelopeReceiver? receiver, string? embeddedDsn, string? sentryHost)
    {
        Receiver = receiver;
        EmbeddedDsn = embeddedDsn;
        SentryHost = sentryHost;
    }

    /// <summary>Gets the embedded receiver, or <see langword="null"/> when events go to a configured DSN.</summary>
    public SentryEnvelopeReceiver? Receiver { get; }

    /// <summary>Gets the DSN that points at the app itself, or <see langword="null"/>.</summary>
    public string? EmbeddedDsn { get; }

    /// <summary>Gets the host of the configured DSN (never its key), or <see langword="null"/>.</summary>
    public string? SentryHost { get; }

    /// <summary>Gets why the configured DSN cannot be used (without its key), or <see langword="null"/>.</summary>
    public string? Problem { get; private init; }

    /// <summary>Gets the path of the embedded envelope endpoint.</summary>
    public static string EnvelopePath => $"/api/{ProjectId}/envelope/";

    /// <summary>
    /// Fixes the URL the app listens on (so the embedded DSN can point at it before anything starts) and decides
    /// where events go.
    /// </summary>
    public static EventDestination Configure(WebApplicationBuilder builder)
    {
        // As the SDK reads it: Sentry:Dsn, else (only when that key is absent) the SENTRY_DSN variable. A blank
        // Sentry:Dsn means "no DSN" here, and the app then sets the embedded one.
        var source = builder.Configuration["Sentry:Dsn"] is null ? "SENTRY_DSN" : "Sentry:Dsn";
        var configuredDsn = builder.Configuration["Sentry:Dsn"] ?? Environment.GetEnvironmentVariable("SENTRY_DSN");

        var listenUrl = FixListenUrl(builder);
        if (!string.IsNullOrWhiteSpace(configuredDsn))
        {
            // The SDK would throw at start with a stack trace; the app says what is wrong instead (never the key).
            return Uri.TryCreate(configuredDsn.Trim(), UriKind.Absolute, out var dsn) && DsnProblem(dsn) is null
                ? new EventDestination(null, null, dsn.Host)
                : new EventDestination(null, null, null)
                {
                    Problem = $"{source} is not a valid DSN: it {(dsn is null ? "is not an absolute URL" : DsnProblem(dsn))}. Expected https://<public key>@<host>/<project id>.",
                };
        }

        // Random per run unless Tutorial:PublicKey fixes it (to point another program's DSN at this app).
        var publicKey = builder.Configuration["Tutorial:PublicKey"] is { } configuredKey && !string.IsNullOrWhiteSpace(configuredKey)
            ? configuredKey.Trim()
            : Guid.NewGuid().ToString("N");
        var embeddedDsn = string.Create(CultureInfo.InvariantCulture, $"http://{publicKey}@{ReachableHost(listenUrl)}:{listenUrl.Port}/{ProjectId}");
        return new EventDestination(new SentryEnvelopeReceiver(publicKey, ProjectId), embeddedDsn, null);
    }

    /// <summary>
    /// Returns the first <c>http://</c> URL of <c>--urls</c> / <c>ASPNETCORE_URLS</c> (default <see cref="DefaultUrl"/>);
    /// port 0 is replaced by a free port, so the URL is known before the server starts.
    /// </summary>
    private static Uri FixListenUrl(WebApplicationBuilder builder)
    {
        var configured = builder.Configuration["urls"];
        var urls = (string.IsNullOrWhiteSpace(configured) ? DefaultUrl : configured)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var index = Array.FindIndex(urls, url => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            throw new InvalidOperationException($"TutorialApp needs an http:// URL to listen on (its embedded Sentry receiver is plain HTTP); got '{configured}'.");
        }

        // Kestrel accepts wildcard hosts (*, +) that Uri does not parse.
        var listenUrl = new Uri(urls[index].Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
        if (listenUrl.Port == 0)
        {
            listenUrl = new UriBuilder(listenUrl) { Port = FreePort(listenUrl.Host) }.Uri;
            urls[index] = listenUrl.GetLeftPart(UriPartial.Authority);
        }

        builder.WebHost.UseUrls(urls);
        return listenUrl;
    }

    /// <summary>What the SDK would refuse in a DSN, or <see langword="null"/>.</summary>
    private static string? DsnProblem(Uri dsn)
    {
        if (dsn.Scheme is not ("http" or "https"))
        {
            return "is not an http(s) URL";
        }

        if (dsn.UserInfo.Split(':')[0].Length == 0)
        {
            return "has no public key";
        }

        return dsn.AbsolutePath.TrimEnd('/').Split('/')[^1].Length == 0 ? "has no project id" : null;
    }

    /// <summary>The address the reporter uses to reach the app: a wildcard or a name means loopback.</summary>
    private static string ReachableHost(Uri listenUrl)
    {
        if (IPAddress.TryParse(listenUrl.Host.Trim('[', ']'), out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        }

        return "127.0.0.1";
    }

    private static int FreePort(string host)
    {
        var address = IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : IPAddress.Loopback;
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
