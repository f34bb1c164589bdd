using System.Net;

namespace ErrorReporting.Testing.Tests;

/// <summary>The reference envelopes of shared/sentry/examples, posted as the Sentry .NET SDK posts them.</summary>
public sealed class ReferenceEnvelopeTests
{
    public static TheoryData<string?> Encodings => new() { null, "gzip", "deflate", "br" };

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task HandleAsync_HandledExceptionEnvelope_ParsesTypedEvent(string? encoding)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, TestHttp.TestData("handled-exception.envelope"), encoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"id\":\"9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d\"}", await response.Content.ReadAsStringAsync());
        var received = Assert.Single(server.Events);
        Assert.Equal("9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d", received.EventId);
        Assert.Equal("9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d", received.EnvelopeEventId);
        Assert.Equal("2025-01-15T10:20:30.1234567+00:00", received.Timestamp);
        Assert.Equal("csharp", received.Json.GetProperty("platform").GetString());
        Assert.Equal("error", received.Level);
        Assert.Equal("production", received.Environment);
        Assert.Equal("MyApp@1.0.0", received.Release);
        Assert.Null(received.Message);
        Assert.Equal("sentry.dotnet", received.SdkName);
        Assert.Equal("6.9.0", received.SdkVersion);
        Assert.Equal("config", received.Tags["component"]);
        Assert.Equal("5a4c7f0e-1d2b-4c3a-9e8f-7a6b5c4d3e2f", received.User?.Id);
        Assert.NotNull(received.Request);
        Assert.Null(received.Request.Method);
        Assert.Equal("Ubuntu 24.04.1 LTS", received.Json.GetProperty("contexts").GetProperty("os").GetProperty("raw_description").GetString());

        Assert.Equal(2, received.Exceptions.Count);
        var inner = received.Exceptions[0];
        Assert.Equal("System.FormatException", inner.Type);
        Assert.Equal("The input string 'abc' was not in a correct format.", inner.Value);
        Assert.Equal("chained", inner.Mechanism?.Type);
        Assert.Equal("0x80131537", inner.Mechanism?.Data["HResult"]);
        Assert.Equal(3, inner.Frames.Count);
        Assert.Equal("int Number.ThrowFormatException<TChar>(ReadOnlySpan<TChar> value)", inner.Frames[2].Function);
        Assert.Equal("Config.cs", inner.Frames[0].FileName);
        Assert.Equal(21, inner.Frames[0].LineNumber);
        Assert.Equal(13, inner.Frames[0].ColumnNumber);
        Assert.True(inner.Frames[0].InApp);
        Assert.False(inner.Frames[1].InApp);
        Assert.Null(inner.Frames[1].LineNumber);

        var outer = received.Exceptions[1];
        Assert.Equal("System.InvalidOperationException", outer.Type);
        Assert.Equal("generic", outer.Mechanism?.Type);
        Assert.True(received.Handled);
        Assert.Equal("generic", received.MechanismType);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task HandleAsync_UnhandledExceptionEnvelope_HandledIsFalseOnLastValue(string? encoding)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, TestHttp.TestData("unhandled-exception.envelope"), encoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(server.Events);
        Assert.Equal("7e2b4d6f8a0c4e1b9d3f5a7c9e1b3d5f", received.EventId);
        Assert.False(received.Handled);
        Assert.Equal("AppDomain.UnhandledException", received.MechanismType);
        var value = Assert.Single(received.Exceptions);
        Assert.Equal("System.NullReferenceException", value.Type);
        Assert.Equal("error", received.Level);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task HandleAsync_MessageEnvelope_ParsesLogEntry(string? encoding)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, TestHttp.TestData("message.envelope"), encoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(server.Events);
        Assert.Equal("Cache warmed in 42 ms", received.Message);
        Assert.Equal("info", received.Level);
        Assert.Empty(received.Exceptions);
        Assert.Null(received.Handled);
        Assert.Null(received.MechanismType);
        Assert.Empty(received.Tags);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task HandleAsync_ClientReportEnvelope_RecordsDiscardedEvents(string? encoding)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, TestHttp.TestData("client-report.envelope"), encoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Empty(server.Events);
        var report = Assert.Single(server.ClientReports);
        Assert.Equal(
            [new ReceivedDiscardedEvent("queue_overflow", "error", 2), new ReceivedDiscardedEvent("ratelimit_backoff", "error", 1)],
            report.DiscardedEvents);
        Assert.Equal(2, report.Quantity("queue_overflow"));
        Assert.Equal(1, report.Quantity("ratelimit_backoff", "error"));
        Assert.Equal(0, report.Quantity("ratelimit_backoff", "transaction"));
    }

    [Fact]
    public async Task HandleAsync_GzipEnvelope_RecordsRequestHeadersAndDecompressedBytes()
    {
        await using var server = await SentryTestServer.StartAsync();
        var bytes = TestHttp.TestData("handled-exception.envelope");

        using var response = await TestHttp.PostAsync(server, bytes, "gzip");

        var envelope = Assert.Single(server.Envelopes);
        Assert.Equal("gzip", envelope.Headers["content-encoding"]);
        Assert.Equal("application/x-sentry-envelope", envelope.Headers["Content-Type"]);
        Assert.Equal("errorreporting.tests/1.0", envelope.Headers["User-Agent"]);
        Assert.Equal(TestHttp.Auth(server.PublicKey), envelope.Headers["X-Sentry-Auth"]);
        Assert.Equal(bytes, envelope.RawBytes.ToArray());
        Assert.True(envelope.BodyLength < bytes.Length);
        Assert.Equal("2025-01-15T10:20:30.5123456+00:00", envelope.Header.GetProperty("sent_at").GetString());
        Assert.Equal("9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d", envelope.EventId);
        Assert.Equal("6.9.0", envelope.Header.GetProperty("sdk").GetProperty("version").GetString());
        var item = Assert.Single(envelope.Items);
        Assert.Equal("event", item.Type);
        Assert.Equal(2447, item.DeclaredLength);
        Assert.Equal(2447, item.Payload.Length);
        Assert.Equal("{\"type\":\"event\",\"length\":2447}", item.Header.GetRawText());
        Assert.Same(envelope, server.Events[0].Envelope);
        Assert.Equal(item.PayloadText, server.Events[0].RawJson);
        Assert.Empty(server.Rejections);
    }
}
