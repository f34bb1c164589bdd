using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ErrorReporting.Configuration;
using ErrorReporting.Serialization;

namespace ErrorReporting.Delivery;

/// <summary>
/// POSTs gzip-compressed envelopes to the DSN's envelope endpoint with Sentry's <c>X-Sentry-Auth</c> header.
/// Several sends may be under way at once; compression buffers are pooled.
/// </summary>
internal sealed class HttpEnvelopeTransport : IEnvelopeTransport
{
    private const int MaxErrorBodyBytes = 4096;

    private static readonly MediaTypeHeaderValue s_envelopeContentType = new("application/x-sentry-envelope");

    private readonly HttpClient _client;
    private readonly Uri _endpoint;
    private readonly string _authorization;
    private readonly TimeSpan _timeout;
    private readonly Stack<MemoryStream> _bodies = new();

    public HttpEnvelopeTransport(Dsn dsn, TimeSpan timeout, HttpMessageHandler? handler = null)
    {
        _endpoint = dsn.EnvelopeUri;
        _timeout = timeout;
        _authorization = dsn.SecretKey is null
            ? $"Sentry sentry_version=7,sentry_client={SdkInfo.ClientName},sentry_key={dsn.PublicKey}"
            : $"Sentry sentry_version=7,sentry_client={SdkInfo.ClientName},sentry_key={dsn.PublicKey},sentry_secret={dsn.SecretKey}";
        _client = new HttpClient(handler ?? CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue(SdkInfo.Name, SdkInfo.Version));
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public async Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        var body = RentBody();
        try
        {
            return await SendCompressedAsync(EnvelopeCompression.Compress(envelope.Span, body), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReturnBody(body);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        lock (_bodies)
        {
            while (_bodies.TryPop(out var body))
            {
                body.Dispose();
            }
        }
    }

    private MemoryStream RentBody()
    {
        lock (_bodies)
        {
            return _bodies.TryPop(out var body) ? body : new MemoryStream();
        }
    }

    private void ReturnBody(MemoryStream body)
    {
        lock (_bodies)
        {
            _bodies.Push(body);
        }
    }

    private async Task<TransportResponse> SendCompressedAsync(ReadOnlyMemory<byte> compressed, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(compressed);
        content.Headers.ContentType = s_envelopeContentType;
        content.Headers.ContentEncoding.Add("gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = content };
        request.Headers.TryAddWithoutValidation("X-Sentry-Auth", _authorization);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var rateLimits = JoinHeader(response.Headers, "X-Sentry-Rate-Limits");
            var retryAfter = JoinHeader(response.Headers, "Retry-After");
            string? detail = null;
            if (status >= 400 && status != 429)
            {
                detail = await ReadDetailAsync(response, timeout.Token).ConfigureAwait(false);
            }

            return new TransportResponse(status, rateLimits, retryAfter, detail);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TransportResponse.Failed(new TimeoutException($"No response from the Sentry server within {_timeout.TotalSeconds:0.###} s."));
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return TransportResponse.Failed(exception);
        }
    }

    private static SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
    };

    private static string? JoinHeader(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>Reads Sentry's error body: JSON <c>{"detail": …, "causes": [...]}</c>, or the first bytes of text.</summary>
    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorBodyBytes];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                if (length == 0)
                {
                    return null;
                }

                try
                {
                    using var json = JsonDocument.Parse(buffer.AsMemory(0, length));
                    if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("detail", out var detailElement))
                    {
                        var detail = detailElement.ToString();
                        if (json.RootElement.TryGetProperty("causes", out var causes) && causes.ValueKind == JsonValueKind.Array && causes.GetArrayLength() > 0)
                        {
                            detail += " (" + string.Join("; ", causes.EnumerateArray().Select(c => c.ToString())) + ")";
                        }

                        return detail;
                    }
                }
                catch (JsonException)
                {
                    // Not JSON: fall back to the text.
                }

                return System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or OperationCanceledException)
        {
            return null;
        }
    }
}
