using System.Net;
using System.Text.Json;

namespace ErrorReporting.Testing.Tests;

/// <summary>The typed view of an event reads every accepted form and never throws on odd data.</summary>
public sealed class ReceivedEventParsingTests
{
    [Fact]
    public async Task ReceivedEvent_AlternativeForms_Read()
    {
        var id = TestHttp.NewEventId();
        var json = """
            {"event_id":"EVENT_ID","timestamp":1736936430.5,"level":"warning","logger":"app.orders","transaction":"GET /orders",
             "logentry":{"message":"Order %s failed","params":["42"],"formatted":"Order 42 failed"},
             "server_name":"web-1","dist":"7",
             "tags":[["order","42"],["retry",3],["skipped",null],["malformed"],"junk"],
             "extra":{"attempt":2,"ids":[1,2]},
             "user":{"id":"1234","username":"ada","email":"ada@example.com","ip_address":"127.0.0.1"},
             "request":{"method":"POST","url":"https://example.com/orders","query_string":[["a","1"]],"headers":[["Content-Type","application/json"],["X-Trace","t1"]],"data":{"k":"v"}},
             "fingerprint":["{{ default }}","orders",7],
             "sdk":{"name":"errorreporting.dotnet","version":"0.1.0"},
             "exception":[{"type":"System.Exception","value":"boom","stacktrace":{"frames":[{"function":"F","lineno":"12"},{"function":"G","lineno":12,"in_app":true}]},
                           "mechanism":{"type":"middleware","handled":false,"is_exception_group":true,"data":{"n":1,"b":true}}}]}
            """.ReplaceLineEndings("").Replace("EVENT_ID", id, StringComparison.Ordinal);

        var received = await PostEventAsync(id, json);

        Assert.Equal("1736936430.5", received.Timestamp);
        Assert.Equal("warning", received.Level);
        Assert.Equal("GET /orders", received.Transaction);
        Assert.Equal("Order 42 failed", received.Message);
        Assert.Equal(new Dictionary<string, string> { ["order"] = "42", ["retry"] = "3" }, received.Tags);
        Assert.Equal(2, received.Extra?.GetProperty("attempt").GetInt32());
        Assert.Equal("1234", received.User?.Id);
        Assert.Equal("ada", received.User?.Username);
        Assert.Equal("ada@example.com", received.User?.Email);
        Assert.Equal("127.0.0.1", received.User?.IpAddress);
        Assert.Equal("POST", received.Request?.Method);
        Assert.Equal("https://example.com/orders", received.Request?.Url);
        Assert.Equal("[[\"a\",\"1\"]]", received.Request?.QueryString);
        Assert.Equal("application/json", received.Request?.Headers["content-type"]);
        Assert.Equal("t1", received.Request?.Headers["X-Trace"]);
        Assert.Equal(["{{ default }}", "orders", "7"], received.Fingerprint);
        Assert.Equal("errorreporting.dotnet", received.SdkName);
        Assert.Equal("0.1.0", received.SdkVersion);
        var value = Assert.Single(received.Exceptions);
        Assert.Equal("boom", value.Value);
        Assert.False(received.Handled);
        Assert.Equal("middleware", received.MechanismType);
        Assert.True(value.Mechanism?.IsExceptionGroup);
        Assert.Equal(new Dictionary<string, string> { ["n"] = "1", ["b"] = "true" }, value.Mechanism?.Data);
        var frame = Assert.Single(value.Frames); // the SDK's parser cannot read "lineno":"12": that frame is left out
        Assert.Equal("G", frame.Function);
        Assert.Equal(12, frame.LineNumber);
        Assert.True(frame.InApp);
    }

    [Fact]
    public async Task ReceivedEvent_ObjectTagsAndRequestHeaders_Read()
    {
        var id = TestHttp.NewEventId();
        var json = """{"event_id":"EVENT_ID","tags":{"a":"1","n":2,"nil":null},"request":{"headers":{"Accept":"*/*"},"query_string":"a=1"}}""".Replace("EVENT_ID", id, StringComparison.Ordinal);

        var received = await PostEventAsync(id, json);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["n"] = "2" }, received.Tags);
        Assert.Equal("*/*", received.Request?.Headers["accept"]);
        Assert.Equal("a=1", received.Request?.QueryString);
    }

    [Theory]
    [InlineData("{\"logentry\":{\"message\":\"template only\"}}", "template only")]
    [InlineData("{\"logentry\":{\"formatted\":\"formatted only\"}}", "formatted only")]
    [InlineData("{\"message\":\"legacy string\"}", "legacy string")]
    [InlineData("{\"message\":{\"message\":\"legacy object\"}}", "legacy object")]
    [InlineData("{\"logentry\":{\"message\":\"wins\"},\"message\":\"loses\"}", "wins")]
    [InlineData("{\"logentry\":{\"params\":[]},\"message\":\"fallback\"}", "fallback")]
    [InlineData("{\"message\":42}", null)]
    public async Task Message_Forms_Read(string json, string? expected)
    {
        var received = await PostEventAsync(null, json);

        Assert.Equal(expected, received.Message);
    }

    [Fact]
    public async Task ReceivedEvent_OddlyTypedFields_GiveNullsNotExceptions()
    {
        const string Json = """
            {"event_id":42,"timestamp":null,"platform":[],"level":5,"logentry":"text","environment":{},"release":true,
             "tags":"x","extra":"x","contexts":[1],"breadcrumbs":null,"user":"bob","request":[],"fingerprint":"x","sdk":"x",
             "exception":{"values":["not an object",{"mechanism":"x","stacktrace":{"frames":"x"}},{"type":7,"mechanism":{"handled":"no","exception_id":"1","data":[]}}]}}
            """;

        var received = await PostEventAsync(null, Json.ReplaceLineEndings(""));

        Assert.Null(received.EventId);
        Assert.Null(received.Timestamp);
        Assert.Null(received.Level);
        Assert.Null(received.Message);
        Assert.Null(received.Environment);
        Assert.Null(received.Release);
        Assert.Empty(received.Tags);
        Assert.Null(received.Extra);
        Assert.Null(received.User);
        Assert.Null(received.Request);
        Assert.Empty(received.Fingerprint);
        Assert.Null(received.SdkName);
        Assert.Equal(2, received.Exceptions.Count);
        Assert.Null(received.Exceptions[0].Mechanism);
        Assert.Empty(received.Exceptions[0].Frames);
        Assert.Null(received.Exceptions[1].Type);
        Assert.Null(received.Handled);
        Assert.Empty(received.Exceptions[1].Mechanism!.Data);
        Assert.NotNull(received.ToString());
    }

    [Fact]
    public async Task User_ShapeTheSdkParserCannotRead_IsNullAndStaysInJson()
    {
        var received = await PostEventAsync(null, """{"user":{"id":1234}}""");

        Assert.Null(received.User);
        Assert.Equal(1234, received.Json.GetProperty("user").GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task ReceivedEvent_LastValueWithoutMechanism_HandledIsNull()
    {
        const string Json = """{"exception":{"values":[{"type":"A","mechanism":{"type":"chained","handled":true}},{"type":"B"}]}}""";

        var received = await PostEventAsync(null, Json);

        Assert.Null(received.Handled);
        Assert.Null(received.MechanismType);
        Assert.True(received.Exceptions[0].Mechanism?.Handled);
    }

    [Fact]
    public async Task Json_AfterRequest_StillUsable()
    {
        var id = TestHttp.NewEventId();
        var json = """{"event_id":"EVENT_ID","extra":{"k":"v"}}""".Replace("EVENT_ID", id, StringComparison.Ordinal);
        var received = await PostEventAsync(id, json);

        GC.Collect();

        Assert.Equal(JsonValueKind.Object, received.Json.ValueKind);
        Assert.Equal(id, received.Json.GetProperty("event_id").GetString());
        Assert.Equal("v", received.Extra?.GetProperty("k").GetString());
        Assert.Equal(json, received.RawJson);
    }

    private static async Task<ReceivedEvent> PostEventAsync(string? envelopeEventId, string eventJson)
    {
        await using var server = await SentryTestServer.StartAsync();
        var envelope = envelopeEventId is null
            ? "{}\n{\"type\":\"event\"}\n" + eventJson + "\n"
            : TestHttp.EventEnvelope(envelopeEventId, eventJson);

        using var response = await TestHttp.PostAsync(server, envelope);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(server.Events);
    }
}
