using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// The wording of the receiver's refusals, apart from the checks so that these, compiled fully optimized on first use,
/// stay small: a refusal is rare, and its wording is compiled only when one happens.
/// </summary>
internal static class Refusal
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string EndsWithCarriageReturn(string what) => $"the {what} ends with \\r\\n: envelope lines must end with \\n only";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string ItemHeader(int index) => $"item {index} header";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string ItemHeaderEndsWithCarriageReturn(int index) => EndsWithCarriageReturn(ItemHeader(index));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string PayloadEndsWithCarriageReturn(int index, string type) => EndsWithCarriageReturn($"item {index} (\"{type}\") payload");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string EmptyHeader(string what) => $"the {what} is empty: expected a JSON object";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string HeaderObject(string what, JsonProblem problem, string? detail, ReadOnlyMemory<byte> line) => problem switch
    {
        JsonProblem.Syntax => $"the {what} is not valid JSON ({detail}): {EnvelopeParser.Shorten(Encoding.UTF8.GetString(line.Span))}",
        JsonProblem.NotObject => $"the {what} is not a JSON object: {EnvelopeParser.Shorten(Encoding.UTF8.GetString(line.Span))}",
        _ => $"the {what} is not readable text ({detail}): {EnvelopeParser.Shorten(Encoding.UTF8.GetString(line.Span))}",
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string DuplicateKey(string key) => $"the envelope header has the key \"{key}\" more than once";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string EventId(ReadOnlyMemory<byte> headerLine)
        => $"the envelope header's event_id {RawValue(headerLine, "event_id")} is not 32 hexadecimal characters (or a hyphenated UUID)";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string SentAt(ReadOnlyMemory<byte> headerLine) => $"the envelope header's sent_at {RawValue(headerLine, "sent_at")} is not a string";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string NoType(int index, ReadOnlyMemory<byte> itemHeaderLine)
        => $"item {index} header has no \"type\" string: {Encoding.UTF8.GetString(itemHeaderLine.Span)}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Length(int index, ReadOnlyMemory<byte> itemHeaderLine)
        => $"item {index} header has a \"length\" that is not a non-negative integer: {RawValue(itemHeaderLine, "length")}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string LengthBeyondData(int index, string type, long length, int available)
        => $"item {index} (\"{type}\") declares length {length} but only {available} byte(s) follow its header";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string AfterPayload(int index, string type, long length, byte found) => found == (byte)'\r'
        ? $"item {index} (\"{type}\") payload is followed by \\r\\n: envelope lines must end with \\n only"
        : $"item {index} (\"{type}\") payload of {length} byte(s) is not followed by \\n or the end of the envelope (found byte 0x{found:x2})";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string NotFound(string path) => $"not found: {path} is not an envelope endpoint (POST /api/{{project_id}}/envelope/)";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string MethodNotAllowed(string method) => $"method {method} not allowed: envelopes are sent with POST";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string ProjectMismatch(string projectId, ReadOnlySpan<char> pathProjectId)
        => $"project id mismatch: the public key belongs to project {projectId}, not {pathProjectId}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string InvalidEnvelope(string? error) => $"invalid envelope: {error}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string UnsupportedEncoding(ReadOnlySpan<char> encoding) => $"unsupported Content-Encoding '{encoding}': use gzip, deflate, br or none";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string DecompressedTooLarge(string reason) => $"the decompressed envelope is too large: {reason}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string InvalidCompressedData(ReadOnlySpan<char> encoding, string reason) => $"the body is not valid {encoding} data: {reason}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string AuthScheme(ReadOnlySpan<char> header)
        => $"X-Sentry-Auth must start with 'Sentry ' followed by key=value pairs, not '{EnvelopeParser.Shorten(header.ToString(), 40)}'";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string AuthPair(ReadOnlySpan<char> pair) => $"X-Sentry-Auth has a malformed pair '{EnvelopeParser.Shorten(pair.ToString(), 40)}' (expected key=value)";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string MissingKey(string source) => $"missing sentry_key in {source}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string UnknownKey(ReadOnlySpan<char> key, string source)
        => key.Length <= 8 ? $"unknown public key '{key}' in {source}" : $"unknown public key '{key[..4]}…' ({key.Length} characters) in {source}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string MissingVersion(string source) => $"missing sentry_version in {source} (expected 7)";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string UnsupportedVersion(ReadOnlySpan<char> version, string source) => $"unsupported sentry_version '{version}' in {source} (expected 7)";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Secret(bool present, string source) => present ? $"wrong sentry_secret in {source}" : $"missing sentry_secret in {source}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string SecondEvent(int index) => $"invalid envelope: item {index} is a second event item (an envelope carries at most one)";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string EventTooLarge(int index, int length, int limit) => $"item {index} (event) is {length} bytes, over the {limit} byte limit";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Payload(int index, ReceivedEnvelopeItem item, JsonProblem problem, string? detail)
    {
        var what = problem switch
        {
            JsonProblem.Syntax => $"is not valid JSON ({detail})",
            JsonProblem.NotObject => "is not a JSON object",
            _ => $"is not readable text ({detail})",
        };
        return $"invalid envelope: item {index} ({item.Type}) payload {what}: {EnvelopeParser.Shorten(item.PayloadText)}";
    }

    /// <summary>The JSON text of a property of a checked header line (the last one of that name, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> finds it).</summary>
    private static string RawValue(ReadOnlyMemory<byte> line, string name)
    {
        using var document = JsonDocument.Parse(line);
        return JsonRead.Property(document.RootElement, name)?.GetRawText() ?? "null";
    }
}
