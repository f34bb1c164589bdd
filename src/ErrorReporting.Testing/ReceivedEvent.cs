using System.Runtime.CompilerServices;
using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// A typed view of a received <c>event</c> item. Every property is read tolerantly: a missing or oddly-typed field
/// gives <see langword="null"/> (or an empty collection); the full payload stays available as <see cref="Json"/>.
/// </summary>
/// <remarks>
/// The receiver checks the payload when it arrives (a JSON object of readable text) and reads <see cref="EventId"/>;
/// everything else is parsed from the received bytes on first use, once (thread-safe; every reader gets the same
/// instances).
/// </remarks>
public sealed class ReceivedEvent
{
    private readonly ReceivedEnvelopeItem _item;
    private JsonBox? _json;
    private View? _view;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ReceivedEvent(ReceivedEnvelopeItem item, string? eventId, ReceivedEnvelope envelope)
    {
        _item = item;
        EventId = eventId;
        Envelope = envelope;
    }

    /// <summary>Gets the envelope the event came in.</summary>
    public ReceivedEnvelope Envelope { get; }

    /// <summary>Gets the event payload (a JSON object that stays valid after the request).</summary>
    public JsonElement Json => (Volatile.Read(ref _json) ?? LazyView.Publish(ref _json, LazyView.ParseJson(_item.Payload))).Value;

    /// <summary>Gets the event payload text as received.</summary>
    public string RawJson => _item.PayloadText;

    /// <summary>Gets the payload's <c>event_id</c>, or <see langword="null"/>.</summary>
    public string? EventId { get; }

    /// <summary>Gets the envelope header's <c>event_id</c>, or <see langword="null"/>.</summary>
    public string? EnvelopeEventId => Envelope.EventId;

    /// <summary>Gets <c>timestamp</c> as sent (a number is given as its JSON text), or <see langword="null"/>.</summary>
    public string? Timestamp => Typed.Timestamp;

    /// <summary>Gets <c>platform</c>, or <see langword="null"/>.</summary>
    public string? Platform => Typed.Platform;

    /// <summary>Gets <c>level</c> (<c>debug</c>, <c>info</c>, <c>warning</c>, <c>error</c>, <c>fatal</c>), or <see langword="null"/>.</summary>
    public string? Level => Typed.Level;

    /// <summary>Gets <c>logger</c>, or <see langword="null"/>.</summary>
    public string? Logger => Typed.Logger;

    /// <summary>Gets <c>transaction</c>, or <see langword="null"/>.</summary>
    public string? Transaction => Typed.Transaction;

    /// <summary>
    /// Gets the message: <c>logentry.formatted</c>, else <c>logentry.message</c>, else the legacy <c>message</c>
    /// (a string, or an object read like <c>logentry</c>); <see langword="null"/> when there is none.
    /// </summary>
    public string? Message => Typed.Message;

    /// <summary>Gets <c>environment</c>, or <see langword="null"/>.</summary>
    public string? Environment => Typed.Environment;

    /// <summary>Gets <c>release</c>, or <see langword="null"/>.</summary>
    public string? Release => Typed.Release;

    /// <summary>Gets <c>dist</c>, or <see langword="null"/>.</summary>
    public string? Distribution => Typed.Distribution;

    /// <summary>Gets <c>server_name</c>, or <see langword="null"/>.</summary>
    public string? ServerName => Typed.ServerName;

    /// <summary>Gets <c>tags</c> (object or <c>[[key, value], …]</c> form). Empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Tags => Typed.Tags;

    /// <summary>Gets <c>extra</c>, or <see langword="null"/> when absent or not an object.</summary>
    public JsonElement? Extra => Typed.Extra;

    /// <summary>Gets <c>contexts</c>, or <see langword="null"/> when absent or not an object.</summary>
    public JsonElement? Contexts => Typed.Contexts;

    /// <summary>Gets <c>breadcrumbs</c> as sent (a bare array or <c>{"values":[…]}</c>), or <see langword="null"/>.</summary>
    public JsonElement? Breadcrumbs => Typed.Breadcrumbs;

    /// <summary>Gets <c>user</c>, or <see langword="null"/> when absent.</summary>
    public ReceivedUser? User => Typed.User;

    /// <summary>Gets <c>request</c>, or <see langword="null"/> when absent (an empty <c>{}</c> gives an instance with no values).</summary>
    public ReceivedRequest? Request => Typed.Request;

    /// <summary>Gets <c>fingerprint</c>. Empty when absent.</summary>
    public IReadOnlyList<string> Fingerprint => Typed.Fingerprint;

    /// <summary>Gets <c>sdk.name</c>, or <see langword="null"/>.</summary>
    public string? SdkName => Typed.SdkName;

    /// <summary>Gets <c>sdk.version</c>, or <see langword="null"/>.</summary>
    public string? SdkVersion => Typed.SdkVersion;

    /// <summary>Gets <c>exception.values</c> (innermost first, the reported exception last). Empty for a message event.</summary>
    public IReadOnlyList<ReceivedExceptionValue> Exceptions => Typed.Exceptions;

    /// <summary>
    /// Gets <c>mechanism.handled</c> of the last exception value: what Sentry's <c>handled:yes/no</c> tag is derived
    /// from. <see langword="null"/> when there is no exception, or the last value has no mechanism or no <c>handled</c>.
    /// </summary>
    public bool? Handled => Exceptions.Count > 0 ? Exceptions[^1].Mechanism?.Handled : null;

    /// <summary>
    /// Gets <c>mechanism.type</c> of the last exception value: what Sentry's <c>mechanism</c> tag is derived from.
    /// <see langword="null"/> when there is no exception, or the last value has no mechanism or no <c>type</c>.
    /// </summary>
    public string? MechanismType => Exceptions.Count > 0 ? Exceptions[^1].Mechanism?.Type : null;

    private View Typed => Volatile.Read(ref _view) ?? LazyView.Publish(ref _view, new View(Json));

    /// <inheritdoc />
    public override string ToString()
    {
        var what = Exceptions.Count > 0 ? Exceptions[^1].ToString() : Message ?? "(no message)";
        return $"{EventId ?? EnvelopeEventId ?? "(no event_id)"} {Level ?? "(no level)"} {EnvelopeParser.Shorten(what, 120)}";
    }

    /// <summary>The typed properties, read tolerantly from the payload all at once.</summary>
    private sealed class View
    {
        public View(JsonElement json)
        {
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

        public string? Timestamp { get; }

        public string? Platform { get; }

        public string? Level { get; }

        public string? Logger { get; }

        public string? Transaction { get; }

        public string? Message { get; }

        public string? Environment { get; }

        public string? Release { get; }

        public string? Distribution { get; }

        public string? ServerName { get; }

        public IReadOnlyDictionary<string, string> Tags { get; }

        public JsonElement? Extra { get; }

        public JsonElement? Contexts { get; }

        public JsonElement? Breadcrumbs { get; }

        public ReceivedUser? User { get; }

        public ReceivedRequest? Request { get; }

        public IReadOnlyList<string> Fingerprint { get; }

        public string? SdkName { get; }

        public string? SdkVersion { get; }

        public IReadOnlyList<ReceivedExceptionValue> Exceptions { get; }

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
}
