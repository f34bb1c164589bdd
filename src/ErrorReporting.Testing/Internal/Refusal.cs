namespace ErrorReporting.Testing.Internal;

/// <summary>
/// Every refusal the receiver makes: its status and the reason it answers with (<c>{"detail": …}</c>), in the order
/// the checks run. The checks throw these; <see cref="SentryEnvelopeReceiver"/> turns them into answers.
/// </summary>
internal sealed class Refusal(int statusCode, string reason) : Exception(reason)
{
    /// <summary>The largest decompressed envelope accepted, as Sentry documents it (200 MiB).</summary>
    public const int MaxEnvelopeBytes = 200 * 1024 * 1024;

    /// <summary>The largest <c>event</c> item accepted, as Sentry documents it (1 MiB).</summary>
    public const int MaxEventBytes = 1024 * 1024;

    public int StatusCode { get; } = statusCode;

    // 1. The request line: POST /api/{project_id}/envelope/, the trailing '/' optional.
    public static Refusal NotFound(string path) => new(404, $"not found: {path} is not an envelope endpoint (POST /api/{{project_id}}/envelope/)");
    public static Refusal MethodNotAllowed(string method) => new(405, $"method {method} not allowed: envelopes are sent with POST");

    // 2. The body: at most MaxEnvelopeBytes on the wire (the server's MaxRequestBodySize).
    public static Refusal BodyTooLarge() => new(413, $"the request body could not be read: the body exceeds {MaxEnvelopeBytes} bytes");
    public static Refusal BodyUnreadable(int statusCode, string reason) => new(statusCode, $"the request body could not be read: {reason}");

    // 3. Authentication: X-Sentry-Auth "Sentry sentry_version=7,sentry_client=…,sentry_key=…[,sentry_secret=…]",
    //    or ?sentry_key=…&sentry_version=7 (source names which one was used).
    public static Refusal MissingAuthentication() => new(401, "missing authorization: send the header 'X-Sentry-Auth: Sentry sentry_version=7,sentry_client=<client>,sentry_key=<public key>' (or the query string ?sentry_key=<public key>&sentry_version=7)");
    public static Refusal AuthScheme(string header) => new(401, $"X-Sentry-Auth must start with 'Sentry ' followed by key=value pairs, not '{Shorten(header, 40)}'");
    public static Refusal AuthPair(string pair) => new(401, $"X-Sentry-Auth has a malformed pair '{Shorten(pair, 40)}' (expected key=value)");
    public static Refusal MissingKey(string source) => new(401, $"missing sentry_key in {source}");
    //    A sender's real key must not land in logs or pages: a long one is shown by its first four characters.
    public static Refusal UnknownKey(string key, string source) => new(401, key.Length <= 8
        ? $"unknown public key '{key}' in {source}"
        : $"unknown public key '{key[..4]}…' ({key.Length} characters) in {source}");
    public static Refusal MissingVersion(string source) => new(401, $"missing sentry_version in {source} (expected 7)");
    public static Refusal UnsupportedVersion(string version, string source) => new(401, $"unsupported sentry_version '{Shorten(version)}' in {source} (expected 7)");
    public static Refusal Secret(bool present, string source) => new(401, present ? $"wrong sentry_secret in {source}" : $"missing sentry_secret in {source}");

    // 4. The project: the path names the key's project.
    public static Refusal ProjectMismatch(string projectId, string pathProjectId) => new(403, $"project id mismatch: the public key belongs to project {projectId}, not {pathProjectId}");

    // 5. Content-Encoding: gzip (x-gzip), deflate (zlib or raw), br, identity, or a list of them, undone in reverse.
    public static Refusal UnsupportedEncoding(string encoding) => new(415, $"unsupported Content-Encoding '{Shorten(encoding)}': use gzip, deflate, br or none");
    public static Refusal DecompressedTooLarge() => new(413, $"the decompressed envelope is too large: the body exceeds {MaxEnvelopeBytes} bytes");
    public static Refusal InvalidCompressedData(string encoding, string reason) => new(400, $"the body is not valid {encoding} data: {reason}");

    // 6. Framing (400 "invalid envelope: …"), as Relay parses it: Header { "\n" ItemHeader "\n" Payload } [ "\n" ], lines
    //    end with \n only, every header a one-line JSON object of readable text ("what": "envelope header" or "item N
    //    header"), a payload of exactly its declared "length" then \n or the end, or without "length" up to the next \n.
    public static Refusal EmptyEnvelope() => Invalid("the envelope is empty: expected a JSON object header line");
    public static Refusal EndsWithCarriageReturn(string what) => Invalid($"the {what} ends with \\r\\n: envelope lines must end with \\n only");
    public static Refusal EmptyHeader(string what) => Invalid($"the {what} is empty: expected a JSON object");
    public static Refusal Header(string what, string problem, string line) => Invalid($"the {what} {problem}: {Shorten(line)}");
    public static Refusal DuplicateKey(string key) => Invalid($"the envelope header has the key \"{Shorten(key)}\" more than once");
    public static Refusal EventId(string rawValue) => Invalid($"the envelope header's event_id {Shorten(rawValue)} is not 32 hexadecimal characters (or a hyphenated UUID)");
    public static Refusal SentAt(string rawValue) => Invalid($"the envelope header's sent_at {Shorten(rawValue)} is not a string");
    public static Refusal NoType(int index, string line) => Invalid($"item {index} header has no \"type\" string: {Shorten(line)}");
    public static Refusal Length(int index, string rawValue) => Invalid($"item {index} header has a \"length\" that is not a non-negative integer: {Shorten(rawValue)}");
    public static Refusal LengthBeyondData(int index, string type, long length, int available) => Invalid($"item {index} (\"{type}\") declares length {length} but only {available} byte(s) follow its header");
    public static Refusal AfterPayload(int index, string type, long length, byte found) => Invalid(found == (byte)'\r'
        ? $"item {index} (\"{type}\") payload is followed by \\r\\n: envelope lines must end with \\n only"
        : $"item {index} (\"{type}\") payload of {length} byte(s) is not followed by \\n or the end of the envelope (found byte 0x{found:x2})");

    // 7. Items (400 "invalid envelope: …", 413): at most one event, of at most MaxEventBytes; event and client_report
    //    payloads are JSON objects of readable text.
    public static Refusal SecondEvent(int index) => Invalid($"item {index} is a second event item (an envelope carries at most one)");
    public static Refusal EventTooLarge(int index, int length) => new(413, $"item {index} (event) is {length} bytes, over the {MaxEventBytes} byte limit");
    public static Refusal Payload(int index, string type, string problem, string text) => Invalid($"item {index} ({type}) payload {problem}: {Shorten(text)}");

    /// <summary>Cuts a text shown in a reason to <paramref name="max"/> characters.</summary>
    public static string Shorten(string text, int max = 200) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    private static Refusal Invalid(string reason) => new(400, "invalid envelope: " + reason);
}
