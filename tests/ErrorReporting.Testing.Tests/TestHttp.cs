using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ErrorReporting.Testing.Tests;

/// <summary>Builds and sends envelope requests over real HTTP on loopback.</summary>
internal static class TestHttp
{
    /// <summary>Bound for every wait on a condition: generous, only reached when something is broken.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    public static HttpClient CreateClient(TimeSpan? timeout = null)
        => new(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };

    public static string Auth(string key, string version = "7", string? secret = null)
        => $"Sentry sentry_version={version},sentry_client=errorreporting.tests/1.0,sentry_key={key}" + (secret is null ? "" : $",sentry_secret={secret}");

    public static byte[] TestData(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static HttpRequestMessage EnvelopeRequest(SentryTestServer server, byte[] envelope, string? encoding = null)
        => EnvelopeRequest(server.EnvelopeUri, envelope, Auth(server.PublicKey, secret: server.SecretKey), encoding);

    public static HttpRequestMessage EnvelopeRequest(Uri uri, byte[] envelope, string? auth, string? encoding = null)
    {
        var body = encoding is null ? envelope : Compress(envelope, encoding);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-sentry-envelope");
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        if (auth is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Sentry-Auth", auth);
        }

        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("errorreporting.tests", "1.0"));
        return request;
    }

    public static async Task<HttpResponseMessage> PostAsync(SentryTestServer server, byte[] envelope, string? encoding = null)
    {
        using var client = CreateClient();
        using var request = EnvelopeRequest(server, envelope, encoding);
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> PostAsync(SentryTestServer server, string envelope) => await PostAsync(server, Utf8(envelope));

    public static byte[] Compress(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, null),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Reads the <c>detail</c> of a JSON error body.</summary>
    public static async Task<string?> ReadDetailAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() : null;
    }

    /// <summary>An envelope with one event item whose payload is <paramref name="eventJson"/> (with an exact length).</summary>
    public static string EventEnvelope(string eventId, string eventJson)
        => $"{{\"event_id\":\"{eventId}\",\"sent_at\":\"2025-01-15T10:20:30+00:00\"}}\n{{\"type\":\"event\",\"length\":{Encoding.UTF8.GetByteCount(eventJson)}}}\n{eventJson}\n";

    public static string NewEventId() => Guid.NewGuid().ToString("N");
}
