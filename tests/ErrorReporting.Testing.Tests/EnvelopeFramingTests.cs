using System.Net;
using System.Text;

namespace ErrorReporting.Testing.Tests;

/// <summary>Envelope framing, checked as strictly as Relay checks it.</summary>
public sealed class EnvelopeFramingTests
{
    private const string EventId = "9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d";
    private const string Header = "{\"event_id\":\"" + EventId + "\"}";
    private const string EventPayload = "{\"message\":\"hi\",\"level\":\"error\"}";
    private static readonly string s_payloadLength = Encoding.UTF8.GetByteCount(EventPayload).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "CRLF after the envelope header", Header + "\r\n{\"type\":\"event\"}\n" + EventPayload + "\n", "the envelope header ends with \\r\\n" },
        { "CRLF after an item header", Header + "\n{\"type\":\"event\",\"length\":" + s_payloadLength + "}\r\n" + EventPayload + "\n", "the item 0 header ends with \\r\\n" },
        { "CRLF after an explicit-length payload", Header + "\n{\"type\":\"event\",\"length\":" + s_payloadLength + "}\n" + EventPayload + "\r\n", "item 0 (\"event\") payload is followed by \\r\\n" },
        { "CRLF after an implicit-length payload", Header + "\n{\"type\":\"event\"}\n" + EventPayload + "\r\n", "the item 0 (\"event\") payload ends with \\r\\n" },
        { "length beyond the data", Header + "\n{\"type\":\"event\",\"length\":500}\n" + EventPayload + "\n", "item 0 (\"event\") declares length 500 but only 33 byte(s) follow" },
        { "length shorter than the payload", Header + "\n{\"type\":\"event\",\"length\":10}\n" + EventPayload + "\n", "payload of 10 byte(s) is not followed by \\n or the end of the envelope" },
        { "negative length", Header + "\n{\"type\":\"event\",\"length\":-1}\n" + EventPayload + "\n", "has a \"length\" that is not a non-negative integer: -1" },
        { "length not a number", Header + "\n{\"type\":\"event\",\"length\":\"33\"}\n" + EventPayload + "\n", "has a \"length\" that is not a non-negative integer: \"33\"" },
        { "item without type", Header + "\n{\"length\":" + s_payloadLength + "}\n" + EventPayload + "\n", "item 0 header has no \"type\" string" },
        { "item with empty type", Header + "\n{\"type\":\"\",\"length\":" + s_payloadLength + "}\n" + EventPayload + "\n", "item 0 header has no \"type\" string" },
        { "item header not an object", Header + "\n[\"event\"]\n" + EventPayload + "\n", "the item 0 header is not a JSON object" },
        { "envelope header not an object", "[\"" + EventId + "\"]\n{\"type\":\"event\"}\n" + EventPayload + "\n", "the envelope header is not a JSON object" },
        { "envelope header not JSON", "event_id=" + EventId + "\n{\"type\":\"event\"}\n" + EventPayload + "\n", "the envelope header is not valid JSON" },
        { "envelope header pretty-printed over lines", "{\n\"event_id\":\"" + EventId + "\"}\n", "the envelope header is not valid JSON" },
        { "empty body", "", "the envelope is empty" },
        { "event_id not hex", "{\"event_id\":\"not-an-id\"}\n", "event_id \"not-an-id\" is not 32 hexadecimal characters" },
        { "event_id too short", "{\"event_id\":\"9c1f0c6f\"}\n", "event_id \"9c1f0c6f\" is not 32 hexadecimal characters" },
        { "event_id a number", "{\"event_id\":42}\n", "event_id 42 is not 32 hexadecimal characters" },
        { "duplicate sent_at", "{\"sent_at\":\"2025-01-15T10:20:30Z\",\"sent_at\":\"2025-01-15T10:20:31Z\"}\n", "has the key \"sent_at\" more than once" },
        { "blank line between items", Header + "\n{\"type\":\"event\",\"length\":" + s_payloadLength + "}\n" + EventPayload + "\n\n{\"type\":\"attachment\",\"length\":0}\n\n", "the item 1 header is empty" },
        { "event payload not JSON", Header + "\n{\"type\":\"event\"}\nnot json\n", "item 0 (event) payload is not valid JSON" },
        { "event payload not an object", Header + "\n{\"type\":\"event\"}\n[1,2]\n", "item 0 (event) payload is not a JSON object" },
        { "two event items", Header + "\n{\"type\":\"event\"}\n" + EventPayload + "\n{\"type\":\"event\"}\n" + EventPayload + "\n", "item 1 is a second event item" },
        { "client report not JSON", "{}\n{\"type\":\"client_report\"}\n{oops\n", "item 0 (client_report) payload is not valid JSON" },
    };

    public static TheoryData<string, string> WellFormed => new()
    {
        { "trailing newline", Header + "\n{\"type\":\"event\",\"length\":" + s_payloadLength + "}\n" + EventPayload + "\n" },
        { "no trailing newline", Header + "\n{\"type\":\"event\",\"length\":" + s_payloadLength + "}\n" + EventPayload },
        { "implicit length", Header + "\n{\"type\":\"event\"}\n" + EventPayload + "\n" },
        { "implicit length, no trailing newline", Header + "\n{\"type\":\"event\"}\n" + EventPayload },
        { "hyphenated event_id", "{\"event_id\":\"9c1f0c6f-5c0b-4a6f-8b6f-3e0d2a1b4c5d\"}\n{\"type\":\"event\"}\n" + EventPayload + "\n" },
        { "attachment with newlines and CR in its explicit payload", Header + "\n{\"type\":\"attachment\",\"length\":6}\na\r\nb\nc\n{\"type\":\"event\"}\n" + EventPayload + "\n" },
        { "empty payload at the end", Header + "\n{\"type\":\"event\"}\n" + EventPayload + "\n{\"type\":\"attachment\",\"length\":0}" },
        { "unknown item type", Header + "\n{\"type\":\"something_new\"}\nwhatever\n{\"type\":\"event\"}\n" + EventPayload + "\n" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task HandleAsync_MalformedEnvelope_Returns400WithTheRowsReason(string because, string envelope, string reason)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, envelope);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: expected 400, got {(int)response.StatusCode}");
        var detail = await TestHttp.ReadDetailAsync(response);
        Assert.StartsWith("invalid envelope: ", detail, StringComparison.Ordinal);
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        Assert.Empty(server.Events);
        Assert.Empty(server.Envelopes);
        var rejection = Assert.Single(server.Rejections);
        Assert.Equal(400, rejection.StatusCode);
        Assert.Equal(detail, rejection.Reason);
    }

    [Theory]
    [MemberData(nameof(WellFormed))]
    public async Task HandleAsync_WellFormedEnvelope_Returns200AndRecordsEvent(string because, string envelope)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, envelope);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{because}: expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var received = Assert.Single(server.Events);
        Assert.Equal("hi", received.Message);
        Assert.Equal("error", received.Level);
        Assert.Empty(server.Rejections);
    }

    [Fact]
    public async Task HandleAsync_CrlfFraming_DetailNamesTheProblem()
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, Header + "\r\n{\"type\":\"event\"}\r\n" + EventPayload + "\r\n");

        Assert.Contains("\\r\\n", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_LongEventId_RefusedWithShortenedReason()
    {
        await using var server = await SentryTestServer.StartAsync();
        var eventId = new string('z', 300);

        using var response = await TestHttp.PostAsync(server, "{\"event_id\":\"" + eventId + "\"}\n");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = await TestHttp.ReadDetailAsync(response);
        Assert.Contains("event_id \"" + eventId[..199] + "… is not 32 hexadecimal characters", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(eventId, detail, StringComparison.Ordinal);
        Assert.Equal(detail, Assert.Single(server.Rejections).Reason);
    }

    [Fact]
    public async Task HandleAsync_ExplicitLengthPayload_KeepsExactBytes()
    {
        await using var server = await SentryTestServer.StartAsync();
        var envelope = Header + "\n{\"type\":\"attachment\",\"length\":6,\"filename\":\"a.txt\"}\na\r\nb\nc\n{\"type\":\"event\"}\n" + EventPayload + "\n";

        using var response = await TestHttp.PostAsync(server, envelope);

        var received = Assert.Single(server.Envelopes);
        Assert.Equal(2, received.Items.Count);
        Assert.Equal("attachment", received.Items[0].Type);
        Assert.Equal(6, received.Items[0].DeclaredLength);
        Assert.Equal("a\r\nb\nc", received.Items[0].PayloadText);
        Assert.Equal("a.txt", received.Items[0].Header.GetProperty("filename").GetString());
        Assert.Null(received.Items[1].DeclaredLength);
        Assert.Equal(EventPayload, received.Items[1].PayloadText);
    }

    [Fact]
    public async Task HandleAsync_HeaderOnlyEnvelope_Returns200WithId()
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, Header);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"id\":\"" + EventId + "\"}", await response.Content.ReadAsStringAsync());
        Assert.Empty(Assert.Single(server.Envelopes).Items);
        Assert.Empty(server.Events);
    }

    [Fact]
    public async Task HandleAsync_UnknownContentEncoding_Returns415()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server, TestHttp.Utf8(Header));
        request.Content!.Headers.ContentEncoding.Add("zstd");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("zstd", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_GzipHeaderWithPlainBody_Returns400()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server, TestHttp.Utf8(Header));
        request.Content!.Headers.ContentEncoding.Add("gzip");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("gzip", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_BrotliHeaderWithInvalidData_Returns400AndRecordsTheRejection()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server, TestHttp.Utf8(Header));
        request.Content!.Headers.ContentEncoding.Add("br");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = await TestHttp.ReadDetailAsync(response);
        Assert.StartsWith("the body is not valid br data: ", detail, StringComparison.Ordinal);
        var rejection = Assert.Single(server.Rejections);
        Assert.Equal((400, detail), (rejection.StatusCode, rejection.Reason));
        Assert.Equal(400, Assert.Single(server.Requests).StatusCode);
    }

    [Fact]
    public async Task HandleAsync_EventOverOneMebibyte_Returns413()
    {
        await using var server = await SentryTestServer.StartAsync();
        var payload = "{\"message\":\"" + new string('x', 1024 * 1024) + "\"}";
        var envelope = Header + "\n{\"type\":\"event\",\"length\":" + Encoding.UTF8.GetByteCount(payload) + "}\n" + payload + "\n";

        using var response = await TestHttp.PostAsync(server, TestHttp.Utf8(envelope), "gzip");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(413, Assert.Single(server.Rejections).StatusCode);
    }
}
