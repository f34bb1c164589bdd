using Sentry.Http;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Configuration;

/// <summary>
/// Where envelopes go and how they authenticate, as the SDK derives them from the DSN: the envelope endpoint URL and
/// the <c>X-Sentry-Auth</c> header value. The SDK's DSN parser is internal; its public transport base class builds a
/// request from the options, so the endpoint is read off such a request (once per options object).
/// </summary>
internal sealed class SentryEndpoint
{
    public const string AuthHeaderName = "X-Sentry-Auth";

    private static readonly Envelope s_empty = new(new Dictionary<string, object?>(), []);

    private SentryEndpoint(Uri envelopeUri, string authorization)
    {
        EnvelopeUri = envelopeUri;
        Authorization = authorization;
    }

    /// <summary>Gets the URL of the project's envelope endpoint.</summary>
    public Uri EnvelopeUri { get; }

    /// <summary>Gets the <c>X-Sentry-Auth</c> header value (it holds the DSN's public key: never log it).</summary>
    public string Authorization { get; }

    /// <summary>Reads the endpoint of the options' DSN; throws the SDK's exception when the DSN is invalid.</summary>
    public static SentryEndpoint Create(SentryOptions options)
    {
        using var request = new RequestBuilder(options).Build();
        var authorization = request.Headers.TryGetValues(AuthHeaderName, out var values) ? string.Join(",", values) : string.Empty;
        return new SentryEndpoint(request.RequestUri!, authorization);
    }

    /// <summary>The SDK's request construction, used for nothing else.</summary>
    private sealed class RequestBuilder(SentryOptions options) : HttpTransportBase(options)
    {
        public HttpRequestMessage Build()
        {
            var request = CreateRequest(s_empty);
            request.Content?.Dispose();
            return request;
        }
    }
}
