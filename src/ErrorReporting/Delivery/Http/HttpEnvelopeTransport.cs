using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using ErrorReporting.Configuration;

namespace ErrorReporting.Delivery.Http;

/// <summary>
/// POSTs envelopes to the DSN's envelope endpoint with the SDK's <c>X-Sentry-Auth</c> header, gzip-compressed unless
/// <see cref="SentryOptions.RequestBodyCompressionLevel"/> is <see cref="CompressionLevel.NoCompression"/>. The HTTP
/// client honours the SDK's HTTP options: <see cref="SentryOptions.CreateHttpMessageHandler"/>,
/// <see cref="SentryOptions.HttpProxy"/>, <see cref="SentryOptions.DecompressionMethods"/> and
/// <see cref="SentryOptions.ConfigureClient"/>. Several sends may be under way at once; compression buffers are pooled.
/// The HTTP client is created at the first send, so an application that never reports pays nothing for it.
/// </summary>
internal sealed class HttpEnvelopeTransport : IEnvelopeTransport
{
    private const int MaxErrorBodyBytes = 4096;

    private static readonly MediaTypeHeaderValue s_envelopeContentType = new("application/x-sentry-envelope");

    private readonly Lazy<(HttpClient Client, SentryEndpoint Endpoint)> _client;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly CompressionLevel _compression;
    private readonly Stack<MemoryStream> _bodies = new();

    /// <param name="options">The SDK's HTTP options and the DSN (where to send: read at the first send).</param>
    /// <param name="timeout">How long one attempt may take (<c>SendTimeout</c>).</param>
    /// <param name="time">The clock of the timeout.</param>
    public HttpEnvelopeTransport(SentryOptions options, TimeSpan timeout, TimeProvider time)
    {
        _timeout = timeout;
        _time = time;
        _compression = options.RequestBodyCompressionLevel;
        // PublicationOnly: a factory that throws (an application's handler or ConfigureClient) is tried again at the
        // next send, instead of its exception being kept for ever.
        _client = new(() => (CreateClient(options), SentryEndpoint.Create(options)), LazyThreadSafetyMode.PublicationOnly);
    }

    public async Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        if (_compression == CompressionLevel.NoCompression)
        {
            return await SendBodyAsync(envelope, compressed: false, cancellationToken).ConfigureAwait(false);
        }

        var body = RentBody();
        try
        {
            using (var gzip = new GZipStream(body, _compression, leaveOpen: true))
            {
                gzip.Write(envelope.Span);
            }

            return await SendBodyAsync(body.GetBuffer().AsMemory(0, (int)body.Length), compressed: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReturnBody(body);
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Client.Dispose();
        }

        lock (_bodies)
        {
            while (_bodies.TryPop(out var body))
            {
                body.Dispose();
            }
        }
    }

    private static HttpClient CreateClient(SentryOptions options)
    {
        var client = new HttpClient(CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        options.ConfigureClient?.Invoke(client);
        return client;
    }

    private static HttpMessageHandler CreateHandler(SentryOptions options)
    {
        var handler = options.CreateHttpMessageHandler?.Invoke();
        switch (handler)
        {
            case null:
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    AutomaticDecompression = options.DecompressionMethods,
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
                    Proxy = options.HttpProxy,
                    UseProxy = options.HttpProxy is not null || HttpClient.DefaultProxy is not null,
                };
            case HttpClientHandler clientHandler:
                if (options.HttpProxy is not null)
                {
                    clientHandler.Proxy = options.HttpProxy;
                }

                if (clientHandler.SupportsAutomaticDecompression)
                {
                    clientHandler.AutomaticDecompression = options.DecompressionMethods;
                }

                return clientHandler;
            default:
                return handler;
        }
    }

    private MemoryStream RentBody()
    {
        lock (_bodies)
        {
            if (_bodies.TryPop(out var body))
            {
                body.SetLength(0);
                return body;
            }
        }

        return new MemoryStream();
    }

    private void ReturnBody(MemoryStream body)
    {
        lock (_bodies)
        {
            _bodies.Push(body);
        }
    }

    private async Task<TransportResponse> SendBodyAsync(ReadOnlyMemory<byte> body, bool compressed, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = s_envelopeContentType;
        if (compressed)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        using var timeoutSource = new CancellationTokenSource(_timeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            var (client, endpoint) = _client.Value;
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.EnvelopeUri) { Content = content };
            request.Headers.TryAddWithoutValidation(SentryEndpoint.AuthHeaderName, endpoint.Authorization);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var rateLimits = JoinHeader(response.Headers, "X-Sentry-Rate-Limits");
            var retryAfter = JoinHeader(response.Headers, "Retry-After");
            string? detail = null;
            if (status >= 400)
            {
                detail = await ReadDetailAsync(response, timeout.Token).ConfigureAwait(false);
            }

            return new TransportResponse(status, rateLimits, retryAfter, detail);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TransportResponse.Failed(new TimeoutException($"No response from the Sentry server within {_timeout.TotalSeconds:0.###} s."));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Network errors, and anything an application's handler or ConfigureClient throws: no response.
            return TransportResponse.Failed(exception);
        }
    }

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
