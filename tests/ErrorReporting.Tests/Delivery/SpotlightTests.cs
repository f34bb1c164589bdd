using System.Collections.Concurrent;
using System.IO.Compression;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// With <c>EnableSpotlight</c>, the SDK's Spotlight support sends every envelope to a local Spotlight sidecar too (here
/// a loopback stand-in that records what it is posted), while the delivery engine still delivers to Sentry.
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class SpotlightTests
{
    [Fact]
    public async Task Report_SpotlightEnabled_ReachesTheSidecarAndSentry()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        await using var harness = await SdkHarness.StartAsync(o =>
        {
            o.EnableSpotlight = true;
            o.SpotlightUrl = sidecar.Url;
        });

        var id = harness.Reporter.ReportHandled(Exceptions.Thrown(new InvalidOperationException("seen in Spotlight")));
        await harness.FlushAsync();

        Assert.Equal(id.ToString(), (await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout)).EventId);
        await Wait.UntilAsync(() => sidecar.Bodies.Any(b => b.Contains(id.ToString(), StringComparison.Ordinal)), "the event posted to the Spotlight sidecar");
        Assert.Contains(sidecar.Bodies, b => b.Contains("seen in Spotlight", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Report_SpotlightSidecarNotRunning_StillDeliversToSentry()
    {
        await using var harness = await SdkHarness.StartAsync(o =>
        {
            o.EnableSpotlight = true;
            o.SpotlightUrl = "http://127.0.0.1:1/stream";
        });

        var id = harness.Reporter.ReportMessage("no sidecar");
        await harness.FlushAsync();

        Assert.Equal(id.ToString(), Assert.Single(harness.Server.Events).EventId);
    }

    private sealed class FakeSidecar : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeSidecar(WebApplication app) => _app = app;

        public ConcurrentQueue<string> Posted { get; } = new();

        public IReadOnlyList<string> Bodies => [.. Posted];

        public string Url => _app.Urls.Single() + "/stream";

        public static async Task<FakeSidecar> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var sidecar = new FakeSidecar(app);
            app.MapPost("/stream", async (HttpContext context) =>
            {
                var body = context.Request.Headers.ContentEncoding.Contains("gzip") ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
                using var reader = new StreamReader(body);
                sidecar.Posted.Enqueue(await reader.ReadToEndAsync());
                return Results.Ok();
            });
            await app.StartAsync();
            return sidecar;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
