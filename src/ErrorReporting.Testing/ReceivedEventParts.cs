namespace ErrorReporting.Testing;

/// <summary>
/// One entry of a received event's <c>exception.values</c>, as sent. Sentry orders them innermost first: the last
/// value is the exception that was reported.
/// </summary>
/// <param name="Type"><c>type</c> (for example <c>System.InvalidOperationException</c>), or <see langword="null"/>.</param>
/// <param name="Value"><c>value</c> (the exception message), or <see langword="null"/>.</param>
/// <param name="Mechanism">The mechanism, or <see langword="null"/> when the value has none.</param>
/// <param name="Frames">
/// <c>stacktrace.frames</c>, oldest caller first, read by the SDK's own parser (a frame it cannot read is left out).
/// Empty when there is no stack trace.
/// </param>
public sealed record ReceivedExceptionValue(string? Type, string? Value, ReceivedMechanism? Mechanism, IReadOnlyList<SentryStackFrame> Frames)
{
    /// <inheritdoc />
    public override string ToString() => $"{Type}: {Value}";

    internal static ReceivedExceptionValue From(JsonElement json) => new(
        JsonRead.String(json, "type"),
        JsonRead.String(json, "value"),
        JsonRead.Object(json, "mechanism") is { } mechanism ? ReceivedMechanism.From(mechanism) : null,
        [.. JsonRead.Objects(JsonRead.Property(JsonRead.Object(json, "stacktrace"), "frames")).Select(frame => JsonRead.Sdk(frame, SentryStackFrame.FromJson)).OfType<SentryStackFrame>()]);
}

/// <summary>
/// The <c>mechanism</c> of a received exception value, as sent (the SDK's own parser would give a missing type as
/// <c>generic</c>, and the data as numbers and objects). Its other fields are in <see cref="ReceivedEvent.Json"/>.
/// </summary>
/// <param name="Type"><c>type</c> (for example <c>generic</c>, <c>chained</c>, <c>AppDomain.UnhandledException</c>), or <see langword="null"/>.</param>
/// <param name="Handled"><c>handled</c>, or <see langword="null"/> when absent (Sentry then sets no <c>handled</c> tag).</param>
/// <param name="IsExceptionGroup"><c>is_exception_group</c>, or <see langword="null"/>.</param>
/// <param name="Data"><c>data</c>, with numbers and booleans as their JSON text. Empty when absent.</param>
public sealed record ReceivedMechanism(string? Type, bool? Handled, bool? IsExceptionGroup, IReadOnlyDictionary<string, string> Data)
{
    internal static ReceivedMechanism From(JsonElement json) => new(
        JsonRead.String(json, "type"),
        JsonRead.Boolean(json, "handled"),
        JsonRead.Boolean(json, "is_exception_group"),
        JsonRead.StringMap(JsonRead.Property(json, "data")));
}

/// <summary>
/// The <c>request</c> of a received event, as sent (the SDK's own parser would show <c>Authorization</c> as
/// <c>[Filtered]</c> whatever was sent, and read headers only in the object form).
/// </summary>
/// <param name="Method"><c>method</c>, or <see langword="null"/>.</param>
/// <param name="Url"><c>url</c>, or <see langword="null"/>.</param>
/// <param name="QueryString"><c>query_string</c> as sent (an object or array form as its JSON text), or <see langword="null"/>.</param>
/// <param name="Headers"><c>headers</c> (object or <c>[[name, value], …]</c> form; names compared case-insensitively). Empty when absent.</param>
public sealed record ReceivedRequest(string? Method, string? Url, string? QueryString, IReadOnlyDictionary<string, string> Headers)
{
    internal static ReceivedRequest From(JsonElement json) => new(
        JsonRead.String(json, "method"),
        JsonRead.String(json, "url"),
        JsonRead.StringOrRaw(json, "query_string"),
        JsonRead.StringMap(JsonRead.Property(json, "headers"), StringComparer.OrdinalIgnoreCase));
}
