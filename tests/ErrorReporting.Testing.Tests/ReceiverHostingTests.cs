using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Testing.Tests;

/// <summary>The receiver embedded in an ASP.NET Core application, as the sample web app embeds it.</summary>
public sealed class ReceiverHostingTests
{
    [Fact]
    public async Task HandleAsync_MappedInWebApplication_RecordsEvents()
    {
        var receiver = new SentryEnvelopeReceiver("abc", "5");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapPost("/api/{projectId}/envelope/", receiver.HandleAsync);
        await app.StartAsync();
        var baseAddress = new Uri(app.Urls.Single());
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(new Uri(baseAddress, "/api/5/envelope/"), TestHttp.TestData("unhandled-exception.envelope"), TestHttp.Auth("abc"), "br");

        using var response = await client.SendAsync(request);
        await app.StopAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(receiver.Events);
        Assert.False(received.Handled);
        Assert.Equal("br", received.Envelope.Headers["Content-Encoding"]);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>("publicKey", () => new SentryEnvelopeReceiver(null!, "1"));
        Assert.Throws<ArgumentException>("publicKey", () => new SentryEnvelopeReceiver("", "1"));
        Assert.Throws<ArgumentNullException>("projectId", () => new SentryEnvelopeReceiver("k", null!));
        Assert.Throws<ArgumentException>("projectId", () => new SentryEnvelopeReceiver("k", ""));
    }

    [Fact]
    public async Task HandleAsync_NullContext_Throws()
    {
        var receiver = new SentryEnvelopeReceiver("k", "1");

        await Assert.ThrowsAsync<ArgumentNullException>("context", () => receiver.HandleAsync(null!));
    }
}
