namespace ErrorReporting.Testing;

/// <summary>
/// A received <c>event</c> item, read as sent: a missing or oddly-typed field gives <see langword="null"/> (or an
/// empty collection), never an exception; the whole payload is <see cref="Json"/>. Where a part only mirrors the
/// SDK's model (<see cref="User"/>, the stack frames) it is the SDK's type, read by the SDK's own parser.
/// </summary>
/// <param name="Envelope">The envelope the event came in.</param>
/// <param name="Item">The envelope item the event came in.</param>
/// <param name="Json">The event payload (a JSON object).</param>
public sealed record ReceivedEvent(ReceivedEnvelope Envelope, ReceivedEnvelopeItem Item, JsonElement Json)
{
    /// <summary>Gets the event payload text as received.</summary>
    public string RawJson => Item.PayloadText;

    /// <summary>Gets the payload's <c>event_id</c>, or <see langword="null"/>.</summary>
    public string? EventId => JsonRead.String(Json, "event_id");

    /// <summary>Gets the envelope header's <c>event_id</c>, or <see langword="null"/>.</summary>
    public string? EnvelopeEventId => Envelope.EventId;

    /// <summary>Gets <c>timestamp</c> as sent (a number is given as its JSON text), or <see langword="null"/>.</summary>
    public string? Timestamp => JsonRead.StringOrRaw(Json, "timestamp");

    /// <summary>Gets <c>level</c> (<c>debug</c>, <c>info</c>, <c>warning</c>, <c>error</c>, <c>fatal</c>), or <see langword="null"/>.</summary>
    public string? Level => JsonRead.String(Json, "level");

    /// <summary>Gets <c>transaction</c>, or <see langword="null"/>.</summary>
    public string? Transaction => JsonRead.String(Json, "transaction");

    /// <summary>
    /// Gets the message: <c>logentry.formatted</c>, else <c>logentry.message</c>, else the legacy <c>message</c>
    /// (a string, or an object read like <c>logentry</c>); <see langword="null"/> when there is none.
    /// </summary>
    public string? Message => LogEntryText(JsonRead.Object(Json, "logentry"))
        ?? (JsonRead.Property(Json, "message") is { ValueKind: JsonValueKind.String } message ? message.GetString() : LogEntryText(JsonRead.Object(Json, "message")));

    /// <summary>Gets <c>environment</c>, or <see langword="null"/>.</summary>
    public string? Environment => JsonRead.String(Json, "environment");

    /// <summary>Gets <c>release</c>, or <see langword="null"/>.</summary>
    public string? Release => JsonRead.String(Json, "release");

    /// <summary>Gets <c>tags</c> (object or <c>[[key, value], …]</c> form). Empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Tags => JsonRead.StringMap(JsonRead.Property(Json, "tags"));

    /// <summary>Gets <c>extra</c>, or <see langword="null"/> when absent or not an object.</summary>
    public JsonElement? Extra => JsonRead.Object(Json, "extra");

    /// <summary>Gets <c>user</c>, read by the SDK's parser; <see langword="null"/> when absent or unreadable to it.</summary>
    public SentryUser? User => JsonRead.Sdk(JsonRead.Object(Json, "user"), SentryUser.FromJson);

    /// <summary>Gets <c>request</c>, or <see langword="null"/> when absent (an empty <c>{}</c> gives an instance with no values).</summary>
    public ReceivedRequest? Request => JsonRead.Object(Json, "request") is { } request ? ReceivedRequest.From(request) : null;

    /// <summary>Gets <c>fingerprint</c>. Empty when absent.</summary>
    public IReadOnlyList<string> Fingerprint => JsonRead.StringList(Json, "fingerprint");

    /// <summary>Gets <c>sdk.name</c>, or <see langword="null"/>.</summary>
    public string? SdkName => JsonRead.String(JsonRead.Object(Json, "sdk"), "name");

    /// <summary>Gets <c>sdk.version</c>, or <see langword="null"/>.</summary>
    public string? SdkVersion => JsonRead.String(JsonRead.Object(Json, "sdk"), "version");

    /// <summary>Gets <c>exception.values</c> (innermost first, the reported exception last). Empty for a message event.</summary>
    public IReadOnlyList<ReceivedExceptionValue> Exceptions => [.. JsonRead.Objects(JsonRead.Property(Json, "exception")).Select(ReceivedExceptionValue.From)];

    /// <summary>Gets <c>mechanism.handled</c> of the last exception value, which Sentry's <c>handled:yes/no</c> tag is derived from (or <see langword="null"/>).</summary>
    public bool? Handled => LastException?.Mechanism?.Handled;

    /// <summary>Gets <c>mechanism.type</c> of the last exception value, which Sentry's <c>mechanism</c> tag is derived from (or <see langword="null"/>).</summary>
    public string? MechanismType => LastException?.Mechanism?.Type;

    /// <inheritdoc />
    public override string ToString()
    {
        var what = LastException?.ToString() ?? Message ?? "(no message)";
        return $"{EventId ?? EnvelopeEventId ?? "(no event_id)"} {Level ?? "(no level)"} {Refusal.Shorten(what, 120)}";
    }

    private ReceivedExceptionValue? LastException => Exceptions is [.., var last] ? last : null;

    private static string? LogEntryText(JsonElement? logEntry) => JsonRead.String(logEntry, "formatted") ?? JsonRead.String(logEntry, "message");
}
