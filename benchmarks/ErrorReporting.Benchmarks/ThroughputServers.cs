using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using ErrorReporting.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Benchmarks;

/// <summary>The receiving end of the throughput benchmark, on loopback in the benchmark's process.</summary>
internal interface IThroughputServer : IAsyncDisposable
{
    /// <summary>Gets a one-line description for the report.</summary>
    string Description { get; }

    string Dsn { get; }

    /// <summary>Gets the number of events recorded so far.</summary>
    long EventCount { get; }

    /// <summary>Gets the number of requests refused.</summary>
    int Rejections { get; }

    /// <summary>Gets the <c>event_id</c> of every recorded event, in arrival order (<see langword="null"/> when an event had none).</summary>
    IReadOnlyList<string?> EventIds();
}

/// <summary>
/// <see cref="SentryTestServer"/>: checks every request as Sentry does (authentication, envelope framing, event JSON)
/// and keeps every event, parsed, in memory. What the end-to-end target is stated against.
/// </summary>
internal sealed class TestServerEnd : IThroughputServer
{
    private readonly SentryTestServer _server;

    private TestServerEnd(SentryTestServer server) => _server = server;

    public string Description => "SentryTestServer (ErrorReporting.Testing: ASP.NET Core on Kestrel, validates and keeps every event)";

    public string Dsn => _server.Dsn;

    public long EventCount => _server.Events.Count;

    public int Rejections => _server.Rejections.Count;

    public static async Task<IThroughputServer> StartAsync() => new TestServerEnd(await SentryTestServer.StartAsync());

    public IReadOnlyList<string?> EventIds() => _server.Events.Select(e => e.EventId).ToArray();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>
/// A bare envelope endpoint on Kestrel: reads and gunzips the body, takes <c>event_id</c> from the envelope header,
/// answers <c>200 {}</c>. No authentication, no parsing of the event: what is left is the cost of HTTP itself, so a
/// run against it shows what the client side can deliver when the server is cheap.
/// </summary>
internal sealed class MinimalEnvelopeServer : IThroughputServer
{
    private const string PublicKey = "0123456789abcdef0123456789abcdef";

    private static readonly byte[] s_emptyObject = "{}"u8.ToArray();

    private readonly KestrelServer _server;
    private readonly object _gate = new();
    private readonly List<string?> _eventIds = [];
    private long _events;
    private int _rejections;

    private MinimalEnvelopeServer(KestrelServer server) => _server = server;

    public string Description => "minimal envelope endpoint (Kestrel; gunzip, read the envelope header's event_id, answer 200 {})";

    public string Dsn { get; private set; } = "";

    public long EventCount => Volatile.Read(ref _events);

    public int Rejections => Volatile.Read(ref _rejections);

    public static async Task<IThroughputServer> StartAsync()
    {
        var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = EmptyServices.Instance };
        options.Listen(IPAddress.Loopback, 0);
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        var kestrel = new KestrelServer(Options.Create(options), transport, NullLoggerFactory.Instance);
        var server = new MinimalEnvelopeServer(kestrel);
        await kestrel.StartAsync(new Application(server.HandleAsync), CancellationToken.None);
        var address = kestrel.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it listens on.");
        server.Dsn = $"http://{PublicKey}@127.0.0.1:{new Uri(address).Port}/42";
        return server;
    }

    public IReadOnlyList<string?> EventIds()
    {
        lock (_gate)
        {
            return _eventIds.ToArray();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        _server.Dispose();
    }

    private static string? ReadEventId(ReadOnlySpan<byte> envelope)
    {
        var newline = envelope.IndexOf((byte)'\n');
        var reader = new Utf8JsonReader(newline < 0 ? envelope : envelope[..newline]);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("event_id"u8))
            {
                reader.Read();
                return reader.GetString();
            }
        }

        return null;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var gzip = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var length = 0;
            try
            {
                int read;
                while ((read = await source.ReadAsync(buffer.AsMemory(length))) > 0)
                {
                    length += read;
                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan().CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }
            }
            finally
            {
                if (gzip)
                {
                    await source.DisposeAsync();
                }
            }

            // Envelopes without an event (client reports) are answered and not counted.
            if (ReadEventId(buffer.AsSpan(0, length)) is { } eventId)
            {
                lock (_gate)
                {
                    _eventIds.Add(eventId);
                }

                Interlocked.Increment(ref _events);
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or JsonException)
        {
            Interlocked.Increment(ref _rejections);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(s_emptyObject);
    }

    private sealed class Application(RequestDelegate handler) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context) => handler(context);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
