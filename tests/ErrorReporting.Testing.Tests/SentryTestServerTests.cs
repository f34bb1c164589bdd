using System.Net;
using System.Net.Sockets;

namespace ErrorReporting.Testing.Tests;

public sealed class SentryTestServerTests
{
    [Fact]
    public async Task StartAsync_Defaults_RandomPortKeyAndProject42()
    {
        await using var server = await SentryTestServer.StartAsync();

        Assert.InRange(server.Port, 1, 65535);
        Assert.Equal("42", server.ProjectId);
        Assert.Matches("^[0-9a-f]{32}$", server.PublicKey);
        Assert.Null(server.SecretKey);
        Assert.Equal($"http://{server.PublicKey}@127.0.0.1:{server.Port}/42", server.Dsn);
        Assert.Equal(new Uri($"http://127.0.0.1:{server.Port}/api/42/envelope/"), server.EnvelopeUri);
    }

    [Fact]
    public async Task StartAsync_Options_UsedInDsn()
    {
        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { PublicKey = "pub", SecretKey = "sec", ProjectId = "7" });

        Assert.Equal($"http://pub:sec@127.0.0.1:{server.Port}/7", server.Dsn);
        Assert.Equal("sec", server.Receiver.SecretKey);
    }

    [Fact]
    public async Task StartAsync_GivenPort_ListensThere()
    {
        var port = FreePort();

        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { Port = port });

        Assert.Equal(port, server.Port);
        using var response = await TestHttp.PostAsync(server, TestHttp.TestData("message.envelope"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task StartAsync_TwoServers_Independent()
    {
        await using var first = await SentryTestServer.StartAsync();
        await using var second = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(first, TestHttp.TestData("message.envelope"));

        Assert.NotEqual(first.Port, second.Port);
        Assert.Single(first.Events);
        Assert.Empty(second.Events);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_Throw()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SentryTestServer.StartAsync(new SentryTestServerOptions { Port = -1 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SentryTestServer.StartAsync(new SentryTestServerOptions { Port = 70000 }));
        await Assert.ThrowsAsync<ArgumentException>(() => SentryTestServer.StartAsync(new SentryTestServerOptions { ProjectId = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => SentryTestServer.StartAsync(new SentryTestServerOptions { ProjectId = "a/b" }));
    }

    [Fact]
    public async Task DisposeAsync_Twice_DoesNotThrow()
    {
        var server = await SentryTestServer.StartAsync();

        await server.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_AfterDispose_PortRefusesConnections()
    {
        var server = await SentryTestServer.StartAsync();
        var uri = server.EnvelopeUri;
        await server.DisposeAsync();
        using var client = TestHttp.CreateClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(uri));
    }

    [Fact]
    public async Task HandleAsync_ManyConcurrentRequests_AllRecorded()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        var ids = Enumerable.Range(0, 40).Select(_ => TestHttp.NewEventId()).ToArray();

        var responses = await Task.WhenAll(ids.Select(async id =>
        {
            using var request = TestHttp.EnvelopeRequest(server, TestHttp.Utf8(TestHttp.EventEnvelope(id, $"{{\"event_id\":\"{id}\",\"level\":\"warning\"}}")), "gzip");
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }));

        Assert.All(responses, status => Assert.Equal(HttpStatusCode.OK, status));
        var events = await server.WaitForEventsAsync(ids.Length, TestHttp.WaitTimeout);
        Assert.Equal(ids.Order(), events.Select(e => e.EventId!).Order());
        Assert.Equal(ids.Length, server.Requests.Count);
        Assert.Equal(Enumerable.Range(1, ids.Length), server.Requests.Select(r => r.Sequence).Order());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
