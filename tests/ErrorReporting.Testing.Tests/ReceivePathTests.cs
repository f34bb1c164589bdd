using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.Testing.Tests;

/// <summary>The request path's edge cases: how bodies arrive, encodings, authentication and path forms, unreadable text.</summary>
public sealed class ReceivePathTests
{
    private const string EventId = "9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d";
    private static readonly byte[] s_message = TestHttp.TestData("message.envelope");

    public static TheoryData<string, byte[]> UnreadableText => new()
    {
        { "invalid UTF-8 in an event string", Envelope([.. "{\"message\":\""u8, 0xFF, .. "\"}"u8]) },
        { "truncated UTF-8 sequence in an event string", Envelope([.. "{\"message\":\"caf"u8, 0xC3, .. "\"}"u8]) },
        { "unpaired surrogate escape in an event string", Envelope("{\"message\":\"\\uD800\"}"u8.ToArray()) },
        { "unpaired surrogate escape in a nested key", Envelope("{\"extra\":{\"\\uDC00\":1}}"u8.ToArray()) },
        { "invalid UTF-8 in the envelope header", [.. "{\"sdk\":{\"name\":\""u8, 0xC0, 0xAF, .. "\"}}\n"u8] },
        { "invalid UTF-8 in an item header", [.. "{}\n{\"type\":\"event\",\"x\":\""u8, 0xFE, .. "\"}\n{}\n"u8] },
        { "unpaired surrogate escape in a client report", Encoding.UTF8.GetBytes("{}\n{\"type\":\"client_report\"}\n{\"discarded_events\":[{\"reason\":\"\\uD83D\"}]}\n") },
    };

    [Theory]
    [MemberData(nameof(UnreadableText))]
    public async Task HandleAsync_UnreadableText_Returns400(string because, byte[] envelope)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, envelope);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: expected 400, got {(int)response.StatusCode}");
        Assert.Contains("is not readable text", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(server.Events);
    }

    [Fact]
    public async Task HandleAsync_EscapedSurrogatePairAndNonAsciiText_Accepted()
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, Envelope("{\"message\":\"\\ud83d\\ude00 d\u00e9j\u00e0 \u4e2d\"}"u8.ToArray()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\U0001F600 d\u00e9j\u00e0 \u4e2d", Assert.Single(server.Events).Message);
    }

    [Fact]
    public async Task HandleAsync_ChunkedBodyWithoutContentLength_Accepted()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server, s_message);
        request.Content = new StreamContent(new NonSeekableStream(s_message)) { Headers = { ContentType = request.Content!.Headers.ContentType } };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(s_message, Assert.Single(server.Envelopes).RawBytes.ToArray());
    }

    [Fact]
    public async Task HandleAsync_BodyArrivingInPieces_ReadToTheEnd()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        var body = TestHttp.Compress(TestHttp.TestData("handled-exception.envelope"), "gzip");
        using var request = TestHttp.EnvelopeRequest(server, body);
        request.Content = new SlowContent(body);
        request.Content.Headers.ContentType = new("application/x-sentry-envelope");
        request.Content.Headers.ContentEncoding.Add("gzip");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(EventId, Assert.Single(server.Events).EventId);
        Assert.Equal(body.Length, server.Envelopes[0].BodyLength);
    }

    [Theory]
    [InlineData("identity")]
    [InlineData("gzip, identity")]
    [InlineData("GZIP")]
    [InlineData("x-gzip")]
    [InlineData(" deflate , gzip ")]
    [InlineData("br,,gzip")]
    public async Task HandleAsync_ContentEncodingLists_UndoneInReverse(string contentEncoding)
    {
        var receiver = new SentryEnvelopeReceiver("abc", "5");
        var body = s_message;
        foreach (var encoding in contentEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = encoding.ToLowerInvariant();
            body = name == "identity" ? body : TestHttp.Compress(body, name == "x-gzip" ? "gzip" : name);
        }

        var context = Context(receiver, "/api/5/envelope/", new MemoryStream(body));
        context.Request.Headers.ContentEncoding = contentEncoding;

        await receiver.HandleAsync(context);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(s_message, Assert.Single(receiver.Envelopes).RawBytes.ToArray());
        Assert.Equal(body.Length, receiver.Envelopes[0].BodyLength);
    }

    [Theory]
    [InlineData("Sentry sentry_key=abc,sentry_version=7,sentry_key=other", "unknown public key 'other'")]
    [InlineData("Sentry sentry_key=other,sentry_version=7,sentry_key=abc", null)]
    [InlineData("Sentry sentry_key=,sentry_version=7", "unknown public key ''")]
    [InlineData("Sentry sentry_key=0123456789abcdef0123456789abcdef,sentry_version=7", "unknown public key '0123…' (32 characters)")]
    [InlineData("Sentry sentry_key=abc,sentry_version=", "unsupported sentry_version ''")]
    [InlineData("sentry\tsentry_key=abc ,\t sentry_version\t=\t7", null)]
    [InlineData("SENTRY sentry_key=abc,,sentry_version=7,", null)]
    [InlineData("Sentry sentry_key=abc,sentry_version=7,broken", "malformed pair 'broken'")]
    [InlineData("Sentry sentry_key=abc, =7", "malformed pair '=7'")]
    [InlineData("Sentry", "must start with 'Sentry '")]
    [InlineData("Sentryx sentry_key=abc", "must start with 'Sentry '")]
    [InlineData("Sentry sentry_version=7", "missing sentry_key in X-Sentry-Auth")]
    public async Task HandleAsync_AuthHeaderForms_AcceptedOrRefusedWithTheReason(string header, string? refusal)
    {
        var receiver = new SentryEnvelopeReceiver("abc", "5");
        var context = Context(receiver, "/api/5/envelope/", new MemoryStream(s_message), header);

        await receiver.HandleAsync(context);

        if (refusal is null)
        {
            Assert.Equal(200, context.Response.StatusCode);
            return;
        }

        Assert.Equal(401, context.Response.StatusCode);
        Assert.Contains(refusal, Assert.Single(receiver.Rejections).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/5/envelope/", 200)]
    [InlineData("/api/5/envelope", 200)]
    [InlineData("//api/5/envelope//", 200)]
    [InlineData("/api/6/envelope/", 403)]
    [InlineData("/api/55/envelope/", 403)]
    [InlineData("/api//envelope/", 404)]
    [InlineData("/api/5/5/envelope/", 404)]
    [InlineData("/api/5/envelopes/", 404)]
    [InlineData("/API/5/envelope/", 404)]
    [InlineData("/", 404)]
    public async Task HandleAsync_PathForms_AnsweredWithTheStatus(string path, int status)
    {
        var receiver = new SentryEnvelopeReceiver("abc", "5");
        var context = Context(receiver, path, new MemoryStream(s_message));

        await receiver.HandleAsync(context);

        Assert.Equal(status, context.Response.StatusCode);
        if (status == 403)
        {
            Assert.EndsWith($"not {path.Split('/')[2]}", Assert.Single(receiver.Rejections).Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HandleAsync_HyphenatedUppercaseEventId_AnsweredAsSent()
    {
        await using var server = await SentryTestServer.StartAsync();
        const string Hyphenated = "9C1F0C6F-5C0B-4A6F-8B6F-3E0D2A1B4C5D";

        using var response = await TestHttp.PostAsync(server, "{\"event_id\":\"" + Hyphenated + "\"}\n{\"type\":\"event\"}\n{}\n");

        Assert.Equal("{\"id\":\"" + Hyphenated + "\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(Hyphenated, Assert.Single(server.Envelopes).EventId);
        Assert.Equal(Hyphenated, server.Events[0].EnvelopeEventId);
    }

    [Fact]
    public async Task WaitForEventAsync_IdArrivingAfterClear_Completes()
    {
        await using var server = await SentryTestServer.StartAsync();
        using (var before = await TestHttp.PostAsync(server, TestHttp.EventEnvelope(TestHttp.NewEventId(), "{}")))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var waiting = server.WaitForEventAsync(EventId, TestHttp.WaitTimeout);
        using (var other = await TestHttp.PostAsync(server, TestHttp.EventEnvelope(TestHttp.NewEventId(), "{}")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        server.Clear();
        Assert.False(waiting.IsCompleted);
        using (var awaited = await TestHttp.PostAsync(server, TestHttp.EventEnvelope(EventId, "{}")))
        {
            Assert.Equal(HttpStatusCode.OK, awaited.StatusCode);
        }

        Assert.Same(Assert.Single(server.Events), await waiting);
    }

    private static byte[] Envelope(byte[] eventPayload)
        => [.. Encoding.UTF8.GetBytes($"{{\"event_id\":\"{EventId}\"}}\n{{\"type\":\"event\",\"length\":{eventPayload.Length}}}\n"), .. eventPayload, (byte)'\n'];

    private static DefaultHttpContext Context(SentryEnvelopeReceiver receiver, string path, Stream body, string? auth = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.Headers["X-Sentry-Auth"] = auth ?? TestHttp.Auth(receiver.PublicKey);
        context.Request.Body = body;
        context.Response.Body = new MemoryStream();
        return context;
    }

    /// <summary>A body of unknown length (sent chunked).</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Sends the body in three pieces with pauses, so the server reads most of it asynchronously.</summary>
    /// <remarks>The pause is the scenario (a slow client), not synchronization: the outcome does not depend on its length.</remarks>
    private sealed class SlowContent(byte[] body) : HttpContent
    {
        private static readonly TimeSpan s_pauseBetweenPieces = TimeSpan.FromMilliseconds(50);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var third = body.Length / 3;
            foreach (var (start, length) in new[] { (0, third), (third, third), (2 * third, body.Length - (2 * third)) })
            {
                await stream.WriteAsync(body.AsMemory(start, length));
                await stream.FlushAsync();
                await Task.Delay(s_pauseBetweenPieces);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
