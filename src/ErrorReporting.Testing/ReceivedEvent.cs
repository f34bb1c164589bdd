using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// A typed view of a received <c>event</c> item. Every property is read tolerantly: a missing or oddly-typed field
/// gives <see langword="null"/> (or an empty collection); the full payload stays available as <see cref="Json"/>.
/// </summary>
public sealed class ReceivedEvent
{
    internal ReceivedEvent(JsonElement json, string rawJson, ReceivedEnvelope envelope)
    {
        Json = json;
        RawJson = rawJson;
        Envelope = envelope;

        EventId = JsonRead.String(json, "event_id");
        Timestamp = JsonRead.StringOrRaw(json, "timestamp");
        Platform = JsonRead.String(json, "platform");
        Level = JsonRead.String(json, "level");
        Logger = JsonRead.String(json, "logger");
        Transaction = JsonRead.String(json, "transaction");
        Environment = JsonRead.String(json, "environment");
        Release = JsonRead.String(json, "release");
        Distribution = JsonRead.String(json, "dist");
        ServerName = JsonRead.String(json, "server_name");
        Message = ReadMessage(json);
        Tags = JsonRead.StringMap(JsonRead.Property(json, "tags"));
        Extra = JsonRead.Object(json, "extra");
        Contexts = JsonRead.Object(json, "contexts");
        Breadcrumbs = JsonRead.Property(json, "breadcrumbs");
        User = JsonRead.Object(json, "user") is { } user ? new ReceivedUser(user) : null;
        Request = JsonRead.Object(json, "request") is { } request ? new ReceivedRequest(request) : null;
        Fingerprint = JsonRead.StringList(json, "fingerprint");
        var sdk = JsonRead.Object(json, "sdk");
        SdkName = JsonRead.String(sdk, "name");
        SdkVersion = JsonRead.String(sdk, "version");
        Exceptions = JsonRead.Values(JsonRead.Property(json, "exception"))
            .Where(value => value.ValueKind == JsonValueKind.Object)
            .Select(value => new ReceivedExceptionValue(value))
            .ToArray();
    }

    /// <summary>Gets the envelope the event came in.</summary>
    public ReceivedEnvelope Envelope { get; }

    /// <summary>Gets the event payload (a JSON object that stays valid after the request).</summary>
    public JsonElement Json { get; }

    /// <summary>Gets the event payload text as received.</summary>
    public string RawJson { get; }

    /// <summary>Gets the payload's <c>event_id</c>, or <see langword="null"/>.</summary>
    public string? EventId { get; }

    /// <summary>Gets the envelope header's <c>event_id</c>, or <see langword="null"/>.</summary>
    public string? EnvelopeEventId => Envelope.EventId;

    /// <summary>Gets <c>timestamp</c> as sent (a number is given as its JSON text), or <see langword="null"/>.</summary>
    public string? Timestamp { get; }

    /// <summary>Gets <c>platform</c>, or <see langword="null"/>.</summary>
    public string? Platform { get; }

    /// <summary>Gets <c>level</c> (<c>debug</c>, <c>info</c>, <c>warning</c>, <c>error</c>, <c>fatal</c>), or <see langword="null"/>.</summary>
    public string? Level { get; }

    /// <summary>Gets <c>logger</c>, or <see langword="null"/>.</summary>
    public string? Logger { get; }

    /// <summary>Gets <c>transaction</c>, or <see langword="null"/>.</summary>
    public string? Transaction { get; }

    /// <summary>
    /// Gets the message: <c>logentry.formatted</c>, else <c>logentry.message</c>, else the legacy <c>message</c>
    /// (a string, or an object read like <c>logentry</c>); <see langword="null"/> when there is none.
    /// </summary>
    public string? Message { get; }

    /// <summary>Gets <c>environment</c>, or <see langword="null"/>.</summary>
    public string? Environment { get; }

    /// <summary>Gets <c>release</c>, or <see langword="null"/>.</summary>
    public string? Release { get; }

    /// <summary>Gets <c>dist</c>, or <see langword="null"/>.</summary>
    public string? Distribution { get; }

    /// <summary>Gets <c>server_name</c>, or <see langword="null"/>.</summary>
    public string? ServerName { get; }

    /// <summary>Gets <c>tags</c> (object or <c>[[key, value], …]</c> form). Empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; }

    /// <summary>Gets <c>extra</c>, or <see langword="null"/> when absent or not an object.</summary>
    public JsonElement? Extra { get; }

    /// <summary>Gets <c>contexts</c>, or <see langword="null"/> when absent or not an object.</summary>
    public JsonElement? Contexts { get; }

    /// <summary>Gets <c>breadcrumbs</c> as sent (a bare array or <c>{"values":[…]}</c>), or <see langword="null"/>.</summary>
    public JsonElement? Breadcrumbs { get; }

    /// <summary>Gets <c>user</c>, or <see langword="null"/> when absent.</summary>
    public ReceivedUser? User { get; }

    /// <summary>Gets <c>request</c>, or <see langword="null"/> when absent (an empty <c>{}</c> gives an instance with no values).</summary>
    public ReceivedRequest? Request { get; }

    /// <summary>Gets <c>fingerprint</c>. Empty when absent.</summary>
    public IReadOnlyList<string> Fingerprint { get; }

    /// <summary>Gets <c>sdk.name</c>, or <see langword="null"/>.</summary>
    public string? SdkName { get; }

    /// <summary>Gets <c>sdk.version</c>, or <see langword="null"/>.</summary>
    public string? SdkVersion { get; }

    /// <summary>Gets <c>exception.values</c> (innermost first, the reported exception last). Empty for a message event.</summary>
    public IReadOnlyList<ReceivedExceptionValue> Exceptions { get; }

    /// <summary>
    /// Gets <c>mechanism.handled</c> of the last exception value: what Sentry's <c>handled:yes/no</c> tag is derived
    /// from. <see langword="null"/> when there is no exception, or the last value has no mechanism or no <c>handled</c>.
    /// </summary>
    public bool? Handled => Exceptions.Count > 0 ? Exceptions[^1].Mechanism?.Handled : null;

    /// <summary>
    /// Gets <c>mechanism.type</c> of the last exception value: what Sentry's <c>mechanism</c> tag is derived from.
    /// </summary>
    public string? MechanismType => Exceptions.Count > 0 ? Exceptions[^1].Mechanism?.Type : null;

    /// <inheritdoc />
    public override string ToString()
    {
        var what = Exceptions.Count > 0 ? Exceptions[^1].ToString() : Message ?? "(no message)";
        return $"{EventId ?? EnvelopeEventId ?? "(no event_id)"} {Level ?? "(no level)"} {EnvelopeParser.Shorten(what, 120)}";
    }

    private static string? ReadMessage(JsonElement json)
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
}
