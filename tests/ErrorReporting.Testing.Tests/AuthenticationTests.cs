using System.Net;

namespace ErrorReporting.Testing.Tests;

public sealed class AuthenticationTests
{
    private static readonly byte[] s_message = TestHttp.TestData("message.envelope");

    [Fact]
    public async Task HandleAsync_NoAuthHeader_Returns401AndRecordsRejection()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, auth: null);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("missing authorization", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(server.Events);
        var rejection = Assert.Single(server.Rejections);
        Assert.Equal(401, rejection.StatusCode);
        Assert.Contains("missing authorization", rejection.Reason, StringComparison.Ordinal);
        Assert.Equal("0d6a2c9e3b7f4e1a8c5d2b9f6e3a1c7d", rejection.EventId);
        Assert.Equal($"/api/{server.ProjectId}/envelope/", rejection.Path);
    }

    [Fact]
    public async Task HandleAsync_WrongKey_Returns401AndRecordsRejection()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, TestHttp.Auth("0123456789abcdef0123456789abcdef"));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("unknown public key", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(server.Events);
        Assert.Equal(401, Assert.Single(server.Rejections).StatusCode);
    }

    [Theory]
    [InlineData("6")]
    [InlineData("8")]
    public async Task HandleAsync_WrongVersion_Returns401AndRecordsRejection(string version)
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, TestHttp.Auth(server.PublicKey, version));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains($"unsupported sentry_version '{version}'", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(server.Events);
        Assert.Single(server.Rejections);
    }

    [Fact]
    public async Task HandleAsync_MissingVersion_Returns401()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, $"Sentry sentry_key={server.PublicKey}");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("missing sentry_version", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_HeaderWithoutSentryScheme_Returns401()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, $"sentry_version=7,sentry_key={server.PublicKey}");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("must start with 'Sentry '", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_SpacesAfterCommasAndAroundEquals_Accepted()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        var auth = $"Sentry sentry_version = 7, sentry_client = other/2.0,  sentry_key= {server.PublicKey} ";
        using var request = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, auth);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(server.Events);
    }

    [Fact]
    public async Task HandleAsync_QueryStringAuth_Accepted()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        var uri = new Uri(server.EnvelopeUri, $"?sentry_key={server.PublicKey}&sentry_version=7");
        using var request = TestHttp.EnvelopeRequest(uri, s_message, auth: null);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var envelope = Assert.Single(server.Envelopes);
        Assert.False(envelope.Headers.ContainsKey("X-Sentry-Auth"));
    }

    [Fact]
    public async Task HandleAsync_QueryStringWrongKey_Returns401()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        var uri = new Uri(server.EnvelopeUri, "?sentry_key=nope&sentry_version=7");
        using var request = TestHttp.EnvelopeRequest(uri, s_message, auth: null);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("the query string", Assert.Single(server.Rejections).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_WrongProjectId_Returns403AndRecordsRejection()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(new Uri(server.EnvelopeUri, "/api/43/envelope/"), s_message, TestHttp.Auth(server.PublicKey));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("project id mismatch", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(server.Events);
        Assert.Equal(403, Assert.Single(server.Rejections).StatusCode);
    }

    [Theory]
    [InlineData("api/42/store/")]
    [InlineData("envelope/")]
    [InlineData("api/42/envelope/extra")]
    public async Task HandleAsync_OtherPath_Returns404(string path)
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(new Uri(server.EnvelopeUri, "/" + path), s_message, TestHttp.Auth(server.PublicKey));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(404, Assert.Single(server.Rejections).StatusCode);
    }

    [Fact]
    public async Task HandleAsync_PathWithoutTrailingSlash_Accepted()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(new Uri(server.EnvelopeUri, "/api/42/envelope"), s_message, TestHttp.Auth(server.PublicKey));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_Get_Returns405()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();

        using var response = await client.GetAsync(server.EnvelopeUri);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task HandleAsync_SecretKeyConfigured_RequiresMatchingSecret()
    {
        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { SecretKey = "s3cret" });
        using var client = TestHttp.CreateClient();
        using var withoutSecret = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, TestHttp.Auth(server.PublicKey));
        using var wrongSecret = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, TestHttp.Auth(server.PublicKey, secret: "other"));
        using var rightSecret = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, TestHttp.Auth(server.PublicKey, secret: "s3cret"));

        using var first = await client.SendAsync(withoutSecret);
        using var second = await client.SendAsync(wrongSecret);
        using var third = await client.SendAsync(rightSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Contains("missing sentry_secret", await TestHttp.ReadDetailAsync(first), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Contains("wrong sentry_secret", await TestHttp.ReadDetailAsync(second), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Single(server.Events);
    }
}
