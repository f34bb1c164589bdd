using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing.Tests;

/// <summary>
/// The typed view of an event as the receiver used to build it, eagerly, in <see cref="ReceivedEvent"/>'s constructor;
/// <see cref="AssertSame"/> checks that the properties now built on first use give exactly that.
/// </summary>
internal static class EagerEventView
{
    public static void AssertSame(ReceivedEvent received)
    {
        using var document = JsonDocument.Parse(received.Envelope.Items.First(item => item.Type == "event").Payload);
        var json = document.RootElement;

        Assert.Equal(json.GetRawText(), received.Json.GetRawText());
        Assert.Equal(JsonRead.String(json, "event_id"), received.EventId);
        Assert.Equal(JsonRead.StringOrRaw(json, "timestamp"), received.Timestamp);
        Assert.Equal(JsonRead.String(json, "platform"), received.Platform);
        Assert.Equal(JsonRead.String(json, "level"), received.Level);
        Assert.Equal(JsonRead.String(json, "logger"), received.Logger);
        Assert.Equal(JsonRead.String(json, "transaction"), received.Transaction);
        Assert.Equal(JsonRead.String(json, "environment"), received.Environment);
        Assert.Equal(JsonRead.String(json, "release"), received.Release);
        Assert.Equal(JsonRead.String(json, "dist"), received.Distribution);
        Assert.Equal(JsonRead.String(json, "server_name"), received.ServerName);
        Assert.Equal(Message(json), received.Message);
        Assert.Equal(JsonRead.StringMap(JsonRead.Property(json, "tags")), received.Tags);
        Assert.Equal(JsonRead.Object(json, "extra")?.GetRawText(), received.Extra?.GetRawText());
        Assert.Equal(JsonRead.Object(json, "contexts")?.GetRawText(), received.Contexts?.GetRawText());
        Assert.Equal(JsonRead.Property(json, "breadcrumbs")?.GetRawText(), received.Breadcrumbs?.GetRawText());
        AssertSameUser(JsonRead.Object(json, "user") is { } user ? new ReceivedUser(user) : null, received.User);
        AssertSameRequest(JsonRead.Object(json, "request") is { } request ? new ReceivedRequest(request) : null, received.Request);
        Assert.Equal(JsonRead.StringList(json, "fingerprint"), received.Fingerprint);
        var sdk = JsonRead.Object(json, "sdk");
        Assert.Equal(JsonRead.String(sdk, "name"), received.SdkName);
        Assert.Equal(JsonRead.String(sdk, "version"), received.SdkVersion);

        var exceptions = JsonRead.Values(JsonRead.Property(json, "exception"))
            .Where(value => value.ValueKind == JsonValueKind.Object)
            .Select(value => new ReceivedExceptionValue(value))
            .ToArray();
        Assert.Equal(exceptions.Length, received.Exceptions.Count);
        for (var i = 0; i < exceptions.Length; i++)
        {
            AssertSameException(exceptions[i], received.Exceptions[i]);
        }

        Assert.Equal(exceptions.Length > 0 ? exceptions[^1].Mechanism?.Handled : null, received.Handled);
        Assert.Equal(exceptions.Length > 0 ? exceptions[^1].Mechanism?.Type : null, received.MechanismType);
        Assert.Equal(received.Envelope.Items.First(item => item.Type == "event").PayloadText, received.RawJson);
    }

    private static string? Message(JsonElement json)
    {
        if (JsonRead.Object(json, "logentry") is { } logEntry
            && (JsonRead.String(logEntry, "formatted") ?? JsonRead.String(logEntry, "message")) is { } text)
        {
            return text;
        }

        return JsonRead.Property(json, "message") switch
        {
            { ValueKind: JsonValueKind.String } message => message.GetString(),
            { ValueKind: JsonValueKind.Object } message => JsonRead.String(message, "formatted") ?? JsonRead.String(message, "message"),
            _ => null,
        };
    }

    private static void AssertSameUser(ReceivedUser? expected, ReceivedUser? actual)
    {
        Assert.Equal(expected is null, actual is null);
        Assert.Equal(expected?.Id, actual?.Id);
        Assert.Equal(expected?.Username, actual?.Username);
        Assert.Equal(expected?.Email, actual?.Email);
        Assert.Equal(expected?.IpAddress, actual?.IpAddress);
    }

    private static void AssertSameRequest(ReceivedRequest? expected, ReceivedRequest? actual)
    {
        Assert.Equal(expected is null, actual is null);
        Assert.Equal(expected?.Method, actual?.Method);
        Assert.Equal(expected?.Url, actual?.Url);
        Assert.Equal(expected?.QueryString, actual?.QueryString);
        Assert.Equal(expected?.Headers, actual?.Headers);
        Assert.Equal(expected?.Data?.GetRawText(), actual?.Data?.GetRawText());
    }

    private static void AssertSameException(ReceivedExceptionValue expected, ReceivedExceptionValue actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Module, actual.Module);
        Assert.Equal(expected.ThreadId, actual.ThreadId);
        Assert.Equal(expected.Mechanism is null, actual.Mechanism is null);
        if (expected.Mechanism is { } mechanism)
        {
            var other = actual.Mechanism!;
            Assert.Equal(
                (mechanism.Type, mechanism.Handled, mechanism.Description, mechanism.Source, mechanism.HelpLink, mechanism.Synthetic, mechanism.IsExceptionGroup, mechanism.ExceptionId, mechanism.ParentId),
                (other.Type, other.Handled, other.Description, other.Source, other.HelpLink, other.Synthetic, other.IsExceptionGroup, other.ExceptionId, other.ParentId));
            Assert.Equal(mechanism.Data, other.Data);
        }

        Assert.Equal(expected.Frames.Count, actual.Frames.Count);
        for (var i = 0; i < expected.Frames.Count; i++)
        {
            var (e, a) = (expected.Frames[i], actual.Frames[i]);
            Assert.Equal(
                (e.Function, e.Module, e.Package, e.FileName, e.AbsolutePath, e.LineNumber, e.ColumnNumber, e.InApp),
                (a.Function, a.Module, a.Package, a.FileName, a.AbsolutePath, a.LineNumber, a.ColumnNumber, a.InApp));
        }
    }
}
