using System.Text;
using System.Text.Json;
using ErrorReporting.Testing.Internal;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.Testing.Tests;

/// <summary>
/// The receiver checks JSON with a fast scan that decides the usual case and gives up when unsure, then an exact one
/// (<see cref="Utf8JsonReader"/>). Both must agree with <see cref="JsonDocument"/>, and whole envelopes must get the
/// answers the eager reference (a <see cref="JsonDocument"/> for everything) gives: same status, same reason, same ids.
/// </summary>
public sealed class CheckEquivalenceTests
{
    public static TheoryData<string> TrickyTexts => new()
    {
        "", " ", "{", "}", "{}", " {} ", "{}\r\n\t ", "{} x", "{}{}", "[]", "42", "\"text\"", "null", "\uFEFF{}",
        "{\"a\":1,}", "{,\"a\":1}", "{\"a\" 1}", "{\"a\":}", "{\"a\":1 \"b\":2}", "{a:1}", "{'a':1}", "{\"a\":1}/*c*/", "{\"a\":[1,]}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":-01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":+1}", "{\"a\":0x1}",
        "{\"a\":1.5e-7}", "{\"a\":-0.0E+00}", "{\"a\":truex}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{\"a\":NaN}", "{\"a\":Infinity}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\uD800\"}", "{\"a\":\"\\uDC00\"}", "{\"a\":\"\\uD83D\\uDE00\"}",
        "{\"a\":\"\\uD83Dx\"}", "{\"\\uD800\":1}", "{\"a\":\"tab\there\"}", "{\"a\":\"new\nline\"}", "{\"a\":\"\u007F\"}", "{\"\":\"\"}",
        "{\"a\":{\"b\":{\"c\":[[[{}]]]}}}", "{\"a\":[1,\"2\",true,false,null,{},[]]}", "{\"a\":1}\n", "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
        "{\"event_id\":\"x\",\"event_id\":null}", "{\"ev\\u0065nt_id\":\"x\"}", "{\"a\":\"\\u0000\"}",
    };

    [Theory]
    [MemberData(nameof(TrickyTexts))]
    public void JsonChecks_TrickyTexts_AgreeWithJsonDocument(string text) => AssertChecksAgree(Encoding.UTF8.GetBytes(text), mustDecide: false);

    [Fact]
    public void JsonChecks_InvalidUtf8_AgreeWithJsonDocument()
    {
        byte[][] texts =
        [
            [.. "{\"a\":\""u8, 0xFF, .. "\"}"u8],
            [.. "{\"a\":\""u8, 0xC3, .. "\"}"u8],
            [.. "{\"a\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8],
            [.. "{\"a\":\""u8, 0xC0, 0xAF, .. "\"}"u8],
            [.. "{\""u8, 0xFE, .. "\":1}"u8],
            [.. "{\"a\":\"\\n"u8, 0xF4, 0x90, 0x80, 0x80, .. "\"}"u8],
            [.. "{\"a\":\""u8, 0xC3, 0xA9, .. "\"}"u8],
            [.. "{\"a\":1,"u8, 0xC3, 0xA9, .. "}"u8],
        ];

        foreach (var text in texts)
        {
            AssertChecksAgree(text, mustDecide: false);
        }
    }

    [Fact]
    public void JsonChecks_RandomCleanObjects_AgreeAndTheFastCheckDecides()
    {
        var random = new Random(20250115);
        var generator = new JsonGenerator(random, clean: true, newLinesInWhiteSpace: true);
        for (var i = 0; i < 3000; i++)
        {
            AssertChecksAgree(Encoding.UTF8.GetBytes(generator.Object()), mustDecide: true);
        }
    }

    [Fact]
    public void JsonChecks_RandomAndMutatedObjects_AgreeWithJsonDocument()
    {
        var random = new Random(42);
        var generator = new JsonGenerator(random, clean: false, newLinesInWhiteSpace: true);
        for (var i = 0; i < 4000; i++)
        {
            var text = Encoding.UTF8.GetBytes(generator.Object());
            AssertChecksAgree(i % 2 == 0 ? text : JsonGenerator.Mutate(text, random), mustDecide: false);
        }
    }

    [Fact]
    public async Task Receiver_RandomEnvelopes_AnswersAsTheEagerReference()
    {
        var random = new Random(7);
        var receiver = new SentryEnvelopeReceiver("0123456789abcdef0123456789abcdef", "42");
        for (var i = 0; i < 1500; i++)
        {
            var envelope = RandomEnvelope(random);
            await AssertAnswersAsReferenceAsync(receiver, i % 3 == 2 ? JsonGenerator.Mutate(envelope, random) : envelope);
        }
    }

    /// <summary>Posts an envelope to the receiver (in memory) and compares everything it recorded with the eager reference.</summary>
    private static async Task AssertAnswersAsReferenceAsync(SentryEnvelopeReceiver receiver, byte[] envelope)
    {
        var expected = EagerReference.Receive(envelope);
        var envelopesBefore = receiver.Envelopes.Count;
        var eventsBefore = receiver.Events.Count;
        var clientReportsBefore = receiver.ClientReports.Count;
        var context = CreateContext(receiver, envelope);

        await receiver.HandleAsync(context);

        var because = Encoding.UTF8.GetString(envelope);
        Assert.True(expected.Status == context.Response.StatusCode, $"status {context.Response.StatusCode}, expected {expected.Status} ({expected.Detail}) for: {because}");
        if (expected.Status != 200)
        {
            var rejection = receiver.Rejections[^1];
            AssertSameDetail(expected.Detail!, rejection.Reason, because);
            Assert.Equal(expected.EnvelopeEventId, rejection.EventId);
            Assert.Equal(envelopesBefore, receiver.Envelopes.Count);
            return;
        }

        var received = receiver.Envelopes[^1];
        Assert.Equal(envelopesBefore + 1, receiver.Envelopes.Count);
        Assert.Equal(expected.EnvelopeEventId, received.EventId);
        Assert.Equal(envelope, received.RawBytes.ToArray());
        Assert.Equal(expected.Items.Count, received.Items.Count);
        for (var i = 0; i < expected.Items.Count; i++)
        {
            Assert.Equal(expected.Items[i].Type, received.Items[i].Type);
            Assert.Equal(expected.Items[i].DeclaredLength, received.Items[i].DeclaredLength);
            Assert.Equal(expected.Items[i].Payload, received.Items[i].Payload.ToArray());
        }

        Assert.Equal(eventsBefore + (expected.HasEvent ? 1 : 0), receiver.Events.Count);
        if (expected.HasEvent)
        {
            var receivedEvent = receiver.Events[^1];
            Assert.Equal(expected.PayloadEventId, receivedEvent.EventId);
            EagerEventView.AssertSame(receivedEvent);
        }

        Assert.Equal(clientReportsBefore + expected.ClientReports, receiver.ClientReports.Count);
        context.Response.Body.Position = 0;
        using var answer = JsonDocument.Parse(context.Response.Body);
        Assert.Equal(expected.EnvelopeEventId, answer.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null);
    }

    /// <summary>Refusals for unreadable text are a rule the reference states without the detail the receiver adds.</summary>
    private static void AssertSameDetail(string expected, string actual, string because)
    {
        if (expected.EndsWith("is not readable text", StringComparison.Ordinal))
        {
            Assert.True(actual.StartsWith(expected + " (", StringComparison.Ordinal), $"'{actual}' should start with '{expected}' for: {because}");
            return;
        }

        Assert.True(expected == actual, $"reason '{actual}', expected '{expected}' for: {because}");
    }

    private static void AssertChecksAgree(byte[] text, bool mustDecide)
    {
        var because = Encoding.UTF8.GetString(text);
        var (expected, message) = EagerReference.CheckObject(text);

        var exact = JsonScan.CheckObject(text, out var detail);
        Assert.True(expected == exact, $"exact check {exact}, JsonDocument {expected} for: {because}");
        if (expected == JsonProblem.Syntax)
        {
            Assert.Equal(message, detail);
        }

        var members = new MemberRecorder([]);
        var decided = JsonFastScan.TryCheckObject(text, ref members);
        if (decided)
        {
            Assert.True(expected == JsonProblem.None, $"the fast check accepted what JsonDocument finds {expected}: {because}");
            AssertSameMembers(text, members.Members);
        }
        else
        {
            Assert.False(mustDecide, $"the fast check gave up on a clean object: {because}");
        }
    }

    /// <summary>The fast check must report the top-level members JsonDocument sees: names, value kinds, value texts.</summary>
    private static void AssertSameMembers(byte[] text, List<(string Name, JsonTokenType Kind, string Value)> members)
    {
        using var document = JsonDocument.Parse(text);
        var expected = document.RootElement.EnumerateObject()
            .Select(property => (property.Name, Kind(property.Value.ValueKind), Value(property.Value)))
            .ToList();
        Assert.Equal(expected, members);

        static JsonTokenType Kind(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Object => JsonTokenType.StartObject,
            JsonValueKind.Array => JsonTokenType.StartArray,
            JsonValueKind.String => JsonTokenType.String,
            JsonValueKind.Number => JsonTokenType.Number,
            JsonValueKind.True => JsonTokenType.True,
            JsonValueKind.False => JsonTokenType.False,
            _ => JsonTokenType.Null,
        };

        // Strings as sent, between the quotes; numbers as sent; nothing for the others.
        static string Value(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetRawText()[1..^1],
            JsonValueKind.Number => value.GetRawText(),
            _ => "",
        };
    }

    private static byte[] RandomEnvelope(Random random)
    {
        var text = new StringBuilder();
        var eventId = JsonGenerator.EventId(random);
        var header = new List<string>();
        switch (random.Next(8))
        {
            case 0:
                break;
            case 1:
                header.Add(random.Next(4) switch { 0 => "\"event_id\":42", 1 => "\"event_id\":null", 2 => "\"event_id\":\"not-an-id\"", _ => "\"event_id\":\"\\u0039" + eventId[1..] + "\"" });
                break;
            default:
                header.Add($"\"event_id\":\"{eventId}\"");
                break;
        }

        if (random.Next(2) == 0)
        {
            header.Add(random.Next(6) switch { 0 => "\"sent_at\":5", 1 => "\"sent_at\":null", _ => "\"sent_at\":\"2025-01-15T10:20:30Z\"" });
        }

        if (random.Next(3) == 0)
        {
            header.Add("\"sdk\":{\"name\":\"errorreporting.dotnet\",\"version\":\"0.1.0\"}");
        }

        if (random.Next(12) == 0 && header.Count > 0)
        {
            header.Add(header[0]);
        }

        header = [.. header.OrderBy(_ => random.Next())];
        var headerGenerator = new JsonGenerator(random, clean: random.Next(4) != 0);
        var headerLine = random.Next(10) == 0 ? headerGenerator.Object() : "{" + string.Join(",", header) + "}";
        text.Append(headerLine);

        var items = random.Next(0, 4);
        for (var i = 0; i < items; i++)
        {
            text.Append(random.Next(30) == 0 ? "\r\n" : "\n");
            var type = random.Next(12) switch
            {
                0 => "attachment",
                1 => "something_new",
                2 => "client_report",
                3 => "",
                _ => "event",
            };
            var payload = type switch
            {
                "event" => EventPayload(random, eventId),
                "client_report" => "{\"timestamp\":\"2025-01-15T10:23:00Z\",\"discarded_events\":[{\"reason\":\"queue_overflow\",\"category\":\"error\",\"quantity\":2}]}",
                _ => random.Next(2) == 0 ? "a\r\nb\nc" : "plain",
            };
            var length = Encoding.UTF8.GetByteCount(payload);
            var typeMember = random.Next(25) switch { 0 => "", 1 => "\"type\":5,", 2 => "\"type\":null,", _ => $"\"type\":\"{type}\"," };
            var lengthMember = random.Next(14) switch
            {
                0 => "\"length\":\"12\"",
                1 => "\"length\":-1",
                2 => "\"length\":1.0",
                3 => $"\"length\":{length + 3}",
                4 => $"\"length\":{Math.Max(0, length - 2)}",
                5 or 6 when !payload.Contains('\n', StringComparison.Ordinal) => "\"length\":null",
                7 or 8 when !payload.Contains('\n', StringComparison.Ordinal) => "\"x\":0",
                _ => $"\"length\":{length}",
            };
            text.Append('{').Append(typeMember).Append(lengthMember).Append("}\n").Append(payload);
        }

        if (random.Next(2) == 0)
        {
            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string EventPayload(Random random, string eventId)
    {
        var generator = new JsonGenerator(random, clean: random.Next(3) != 0);
        var body = generator.Object();
        var idMember = random.Next(6) switch
        {
            0 => "",
            1 => "\"event_id\":null,",
            2 => $"\"event_id\":\"{Guid.NewGuid():N}\",",
            3 => $"\"event_id\":\"\\u0039{eventId[1..]}\",",
            _ => $"\"event_id\":\"{eventId}\",",
        };
        var typed = "\"level\":\"error\",\"exception\":{\"values\":[{\"type\":\"System.Exception\",\"value\":\"boom\",\"mechanism\":{\"type\":\"generic\",\"handled\":true}}]},";
        return "{" + idMember + (random.Next(2) == 0 ? typed : "") + "\"data\":" + body + "}";
    }

    private static DefaultHttpContext CreateContext(SentryEnvelopeReceiver receiver, byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = $"/api/{receiver.ProjectId}/envelope/";
        context.Request.Headers["X-Sentry-Auth"] = TestHttp.Auth(receiver.PublicKey);
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        context.Response.Body = new MemoryStream();
        return context;
    }

    /// <summary>Records the members the fast check reports, as text.</summary>
    private readonly struct MemberRecorder(List<(string Name, JsonTokenType Kind, string Value)> members) : IFastMemberVisitor
    {
        public List<(string Name, JsonTokenType Kind, string Value)> Members { get; } = members;

        public bool OnMember(ReadOnlySpan<byte> json, Range name, JsonTokenType kind, Range value, bool valueEscaped)
        {
            Members.Add((Encoding.UTF8.GetString(json[name]), kind, Encoding.UTF8.GetString(json[value])));
            return true;
        }
    }
}
