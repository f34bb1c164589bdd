using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ErrorReporting.Testing.Internal;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.Testing;

/// <summary>
/// A Sentry-compatible envelope endpoint (<c>POST /api/{project_id}/envelope/</c>) that checks requests as Sentry
/// does and records what it accepts: envelopes, typed events and client reports, plus every request it refused.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="SentryTestServer"/> hosts one on loopback for tests; an ASP.NET Core application can host one too:
/// <c>app.MapPost("/api/{projectId}/envelope/", receiver.HandleAsync)</c>.
/// </para>
/// <para>
/// Authentication is the <c>X-Sentry-Auth</c> header (<c>Sentry sentry_version=7,sentry_client=…,sentry_key=…</c>) or
/// the <c>sentry_key</c> and <c>sentry_version</c> query parameters. Bodies may be compressed with gzip, deflate or br.
/// Envelopes are parsed as strictly as Relay parses them. Answers: 200 <c>{"id":"…"}</c> (or <c>{}</c>) when accepted;
/// 401 (authentication), 403 (project), 404 (path), 405 (method), 400 (malformed), 413 (too large) or 415
/// (unknown encoding) with <c>{"detail":"…"}</c> otherwise.
/// </para>
/// <para>All members are thread-safe. The collections are snapshots taken when read.</para>
/// </remarks>
public sealed class SentryEnvelopeReceiver
{
    /// <summary>The largest decompressed envelope accepted, as Sentry documents it (200 MiB).</summary>
    private const int MaxEnvelopeBytes = 200 * 1024 * 1024;

    /// <summary>The largest event item accepted, as Sentry documents it (1 MiB).</summary>
    private const int MaxEventBytes = 1024 * 1024;

    private const int MaxListedInMessages = 10;

    private readonly object _gate = new();
    private readonly List<ReceivedEnvelope> _envelopes = [];
    private readonly List<ReceivedEvent> _events = [];
    private readonly List<ReceivedClientReport> _clientReports = [];
    private readonly List<RejectedRequest> _rejections = [];
    private readonly ConditionWaiters _waiters;
    private readonly TimeProvider _time;

    /// <summary>
    /// Initializes a new instance of the <see cref="SentryEnvelopeReceiver"/> class.
    /// </summary>
    /// <param name="publicKey">The public key requests must carry (<c>sentry_key</c>).</param>
    /// <param name="projectId">The project id the path must name.</param>
    /// <param name="secretKey">
    /// The secret key requests must carry (<c>sentry_secret</c>), or <see langword="null"/> to accept requests without
    /// one. When set, a request without it or with another one is refused.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="publicKey"/> or <paramref name="projectId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="publicKey"/> or <paramref name="projectId"/> is empty.</exception>
    public SentryEnvelopeReceiver(string publicKey, string projectId, string? secretKey = null)
        : this(publicKey, projectId, secretKey, TimeProvider.System)
    {
    }

    internal SentryEnvelopeReceiver(string publicKey, string projectId, string? secretKey, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(publicKey);
        ArgumentException.ThrowIfNullOrEmpty(projectId);
        PublicKey = publicKey;
        ProjectId = projectId;
        SecretKey = string.IsNullOrEmpty(secretKey) ? null : secretKey;
        _time = time;
        _waiters = new ConditionWaiters(_gate);
    }

    /// <summary>
    /// Occurs after an <c>event</c> item was recorded, once per event, on the thread handling the request.
    /// Exceptions thrown by handlers are ignored.
    /// </summary>
    public event EventHandler<SentryEventReceivedEventArgs>? EventReceived;

    /// <summary>
    /// Occurs after an envelope was accepted and recorded (before <see cref="EventReceived"/> for its events).
    /// Exceptions thrown by handlers are ignored.
    /// </summary>
    public event EventHandler<SentryEnvelopeReceivedEventArgs>? EnvelopeReceived;

    /// <summary>Gets the public key requests must carry.</summary>
    public string PublicKey { get; }

    /// <summary>Gets the project id the request path must name.</summary>
    public string ProjectId { get; }

    /// <summary>Gets the secret key requests must carry, or <see langword="null"/>.</summary>
    public string? SecretKey { get; }

    /// <summary>Gets the accepted envelopes, in arrival order.</summary>
    public IReadOnlyList<ReceivedEnvelope> Envelopes => Snapshot(_envelopes);

    /// <summary>Gets every <c>event</c> item of the accepted envelopes, in arrival order.</summary>
    public IReadOnlyList<ReceivedEvent> Events => Snapshot(_events);

    /// <summary>Gets every <c>client_report</c> item of the accepted envelopes, in arrival order.</summary>
    public IReadOnlyList<ReceivedClientReport> ClientReports => Snapshot(_clientReports);

    /// <summary>Gets the requests this receiver refused (status and reason), in arrival order.</summary>
    public IReadOnlyList<RejectedRequest> Rejections => Snapshot(_rejections);

    /// <summary>Gets or sets a description of what else happened (the server's request log), appended to timeout messages.</summary>
    internal Func<string>? DescribeMore { get; set; }

    /// <summary>
    /// Handles a request to the envelope endpoint: checks it, records it, and answers it.
    /// </summary>
    /// <param name="context">The request's context.</param>
    /// <returns>A task that completes when the response is written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is <see langword="null"/>.</exception>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await ReceiveAsync(context).ConfigureAwait(false);
        if (result.ClientDisconnected)
        {
            return;
        }

        Record(result);
        await WriteResponseAsync(context, result, extraHeaders: null, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> events have arrived.
    /// </summary>
    /// <param name="count">The number of events to wait for.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>All events received so far (at least <paramref name="count"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative, or <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="TimeoutException">Fewer events arrived within <paramref name="timeout"/>. The message lists what did arrive and what was refused.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return _waiters.WaitAsync<IReadOnlyList<ReceivedEvent>>(
            () => _events.Count >= count ? _events.ToArray() : null,
            timeout,
            () => Describe($"{count} event(s)", timeout),
            cancellationToken);
    }

    /// <summary>
    /// Waits until the events received so far satisfy <paramref name="condition"/>.
    /// </summary>
    /// <param name="condition">
    /// The condition over all events received so far. It is called under the receiver's lock each time something is
    /// recorded: keep it quick.
    /// </param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The events that satisfied the condition.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="condition"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(Func<IReadOnlyList<ReceivedEvent>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return _waiters.WaitAsync<IReadOnlyList<ReceivedEvent>>(
            () =>
            {
                var snapshot = _events.ToArray();
                return condition(snapshot) ? snapshot : null;
            },
            timeout,
            () => Describe("events satisfying the condition", timeout),
            cancellationToken);
    }

    /// <summary>
    /// Waits until the event with the given id has arrived (matched against the payload's and the envelope header's <c>event_id</c>).
    /// </summary>
    /// <param name="eventId">The event id: 32 hexadecimal characters or a hyphenated GUID.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="eventId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="TimeoutException">The event did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<ReceivedEvent> WaitForEventAsync(string eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        return _waiters.WaitAsync(
            () => _events.Find(received => SameEventId(received.EventId, eventId) || SameEventId(received.EnvelopeEventId, eventId)),
            timeout,
            () => Describe($"event {eventId}", timeout),
            cancellationToken);
    }

    /// <summary>
    /// Waits until the event with the given id has arrived (matched against the payload's and the envelope header's <c>event_id</c>).
    /// </summary>
    /// <param name="eventId">The id a report call returned.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="eventId"/> is <see cref="SentryEventId.Empty"/> (the report was not accepted, so no event will arrive).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="TimeoutException">The event did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<ReceivedEvent> WaitForEventAsync(SentryEventId eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (eventId.IsEmpty)
        {
            throw new ArgumentException("The event id is SentryEventId.Empty: the report was not accepted, so no event will arrive.", nameof(eventId));
        }

        return WaitForEventAsync(eventId.ToString(), timeout, cancellationToken);
    }

    /// <summary>
    /// Waits until the client reports received so far satisfy <paramref name="condition"/>.
    /// </summary>
    /// <param name="condition">
    /// The condition over all client reports received so far (for example
    /// <c>reports => reports.Sum(r => r.Quantity("queue_overflow")) >= 3</c>). It is called under the receiver's lock
    /// each time something is recorded: keep it quick.
    /// </param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The client reports that satisfied the condition.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="condition"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedClientReport>> WaitForClientReportsAsync(
        Func<IReadOnlyList<ReceivedClientReport>, bool> condition,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return _waiters.WaitAsync<IReadOnlyList<ReceivedClientReport>>(
            () =>
            {
                var snapshot = _clientReports.ToArray();
                return condition(snapshot) ? snapshot : null;
            },
            timeout,
            () => Describe("client reports satisfying the condition", timeout),
            cancellationToken);
    }

    /// <summary>
    /// Forgets everything recorded: envelopes, events, client reports and rejections. Pending waits keep waiting.
    /// </summary>
    public void Clear()
    {
        lock (_gate)
        {
            _envelopes.Clear();
            _events.Clear();
            _clientReports.Clear();
            _rejections.Clear();
            _waiters.CheckAll();
        }
    }

    private T[] Snapshot<T>(List<T> items)
    {
        lock (_gate)
        {
            return [.. items];
        }
    }

    /// <summary>
    /// Reads and checks a request without recording or answering it.
    /// </summary>
    internal async Task<ReceiveResult> ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        var result = new ReceiveResult
        {
            ReceivedAt = _time.GetUtcNow(),
            Method = request.Method,
            Path = request.PathBase.Add(request.Path).Value ?? "/",
        };

        var pathProjectId = MatchEnvelopePath(request.Path.Value);
        if (pathProjectId is null)
        {
            result.Refuse(StatusCodes.Status404NotFound, $"not found: {result.Path} is not an envelope endpoint (POST /api/{{project_id}}/envelope/)");
            return result;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            result.Refuse(StatusCodes.Status405MethodNotAllowed, $"method {request.Method} not allowed: envelopes are sent with POST");
            return result;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request.Body, MaxEnvelopeBytes, context.RequestAborted).ConfigureAwait(false);
            result.BodyLength = body.Length;
        }
        catch (BadHttpRequestException exception)
        {
            result.Refuse(exception.StatusCode, $"the request body could not be read: {exception.Message}");
            return result;
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            result.ClientDisconnected = true;
            result.Refuse(499, $"the client went away while sending the body: {exception.Message}");
            return result;
        }

        // Decode and parse first, so even a refused request shows its event id; then decide in Sentry's order.
        var envelopeBytes = Decode(body, request.Headers.ContentEncoding.ToString(), out var decodeStatus, out var decodeError);
        ParsedEnvelope? parsed = null;
        string? parseError = null;
        if (envelopeBytes is not null && EnvelopeParser.TryParse(envelopeBytes, out parsed, out parseError))
        {
            result.EventId = parsed!.EventId;
        }

        if (CheckAuthentication(request) is { } authError)
        {
            result.Refuse(StatusCodes.Status401Unauthorized, authError);
        }
        else if (!string.Equals(pathProjectId, ProjectId, StringComparison.Ordinal))
        {
            result.Refuse(StatusCodes.Status403Forbidden, $"project id mismatch: the public key belongs to project {ProjectId}, not {pathProjectId}");
        }
        else if (envelopeBytes is null)
        {
            result.Refuse(decodeStatus, decodeError!);
        }
        else if (parsed is null)
        {
            result.Refuse(StatusCodes.Status400BadRequest, $"invalid envelope: {parseError}");
        }
        else
        {
            BuildEnvelope(result, request.Headers, body.Length, envelopeBytes, parsed);
        }

        return result;
    }

    /// <summary>Records an accepted envelope, or the refusal of a request.</summary>
    internal void Record(ReceiveResult result)
    {
        if (result.Accepted)
        {
            RecordAccepted(result);
            return;
        }

        lock (_gate)
        {
            _rejections.Add(new RejectedRequest(result.ReceivedAt, result.Method, result.Path, result.StatusCode, result.Detail ?? "refused", result.EventId));
            _waiters.CheckAll();
        }
    }

    /// <summary>Records an accepted envelope and raises the events.</summary>
    internal void RecordAccepted(ReceiveResult result)
    {
        var envelope = result.Envelope!;
        lock (_gate)
        {
            _envelopes.Add(envelope);
            _events.AddRange(result.Events);
            _clientReports.AddRange(result.ClientReports);
            _waiters.CheckAll();
        }

        Raise(EnvelopeReceived, new SentryEnvelopeReceivedEventArgs(envelope));
        foreach (var received in result.Events)
        {
            Raise(EventReceived, new SentryEventReceivedEventArgs(received));
        }
    }

    /// <summary>Writes the receiver's own answer for a result, with optional extra headers.</summary>
    internal static async Task WriteResponseAsync(HttpContext context, ReceiveResult result, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders, CancellationToken cancellationToken)
    {
        string json;
        if (result.StatusCode == StatusCodes.Status200OK)
        {
            json = result.EventId is { } id ? JsonObject("id", id) : "{}";
        }
        else
        {
            json = JsonObject("detail", result.Detail ?? "refused");
        }

        await WriteAsync(context.Response, result.StatusCode, "application/json", json, extraHeaders, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task WriteAsync(HttpResponse response, int statusCode, string? contentType, string? body, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders, CancellationToken cancellationToken)
    {
        response.StatusCode = statusCode;
        if (statusCode == StatusCodes.Status405MethodNotAllowed)
        {
            response.Headers.Allow = "POST";
        }

        foreach (var (name, value) in extraHeaders ?? [])
        {
            response.Headers.Append(name, value);
        }

        if (body is null)
        {
            response.ContentLength = 0;
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    internal static string JsonObject(string name, string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(name, value);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Describes what arrived, for timeout messages.</summary>
    internal string Describe(string waitedFor, TimeSpan timeout)
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            text.Append("Timed out after ").Append(timeout == Timeout.InfiniteTimeSpan ? "∞" : $"{timeout.TotalSeconds:0.###} s")
                .Append(" waiting for ").Append(waitedFor)
                .Append(" at the Sentry envelope receiver (project ").Append(ProjectId).Append(").").AppendLine();
            text.Append("Received ").Append(_events.Count).Append(" event(s)").Append(_events.Count > 0 ? ":" : ".").AppendLine();
            AppendList(text, _events);
            text.Append("Accepted ").Append(_envelopes.Count).Append(" envelope(s)")
                .Append(_envelopes.Count > 0 ? ":" : ".").AppendLine();
            AppendList(text, _envelopes);
            text.Append("Client reports: ").Append(_clientReports.Count).Append('.').AppendLine();
            AppendList(text, _clientReports);
            text.Append("Refused ").Append(_rejections.Count).Append(" request(s)").Append(_rejections.Count > 0 ? ":" : ".").AppendLine();
            AppendList(text, _rejections);
        }

        if (DescribeMore?.Invoke() is { Length: > 0 } more)
        {
            text.Append(more);
        }

        return text.ToString().TrimEnd();
    }

    private static void AppendList<T>(StringBuilder text, List<T> items)
    {
        var skip = Math.Max(0, items.Count - MaxListedInMessages);
        if (skip > 0)
        {
            text.Append("  … ").Append(skip).Append(" earlier").AppendLine();
        }

        for (var i = skip; i < items.Count; i++)
        {
            text.Append("  - ").Append(items[i]).AppendLine();
        }
    }

    private void Raise<TArgs>(EventHandler<TArgs>? handlers, TArgs args)
        where TArgs : EventArgs
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<TArgs>)handler)(this, args);
            }
            catch (Exception)
            {
                // A subscriber (a page being updated) must not break the endpoint.
            }
        }
    }

    private static bool SameEventId(string? received, string expected)
    {
        if (received is null)
        {
            return false;
        }

        if (SentryEventId.TryParse(received, out var left) && SentryEventId.TryParse(expected, out var right))
        {
            return left == right;
        }

        return string.Equals(received, expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Returns the project id of <c>/api/{project_id}/envelope[/]</c>, or <see langword="null"/> for any other path.</summary>
    private static string? MatchEnvelopePath(string? path)
    {
        if (path is null)
        {
            return null;
        }

        var segments = path.Trim('/').Split('/');
        return segments.Length == 3 && segments[0] == "api" && segments[1].Length > 0 && segments[2] == "envelope" ? segments[1] : null;
    }

    private static async Task<byte[]> ReadBodyAsync(Stream source, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new BadHttpRequestException($"the body exceeds {limit} bytes", StatusCodes.Status413PayloadTooLarge);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static byte[] ReadLimited(Stream source, int limit)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new BadHttpRequestException($"the body exceeds {limit} bytes", StatusCodes.Status413PayloadTooLarge);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    /// <summary>Undoes the <c>Content-Encoding</c> (applied in order, so undone in reverse).</summary>
    private static byte[]? Decode(byte[] body, string contentEncoding, out int status, out string? error)
    {
        status = StatusCodes.Status200OK;
        error = null;
        var encodings = contentEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var data = body;
        for (var i = encodings.Length - 1; i >= 0; i--)
        {
            var encoding = encodings[i];
            try
            {
                if (encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                using var input = new MemoryStream(data, writable: false);
                using Stream decoder = encoding.ToUpperInvariant() switch
                {
                    "GZIP" or "X-GZIP" => new GZipStream(input, CompressionMode.Decompress),
                    "DEFLATE" => IsZlibHeader(data) ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress),
                    "BR" => new BrotliStream(input, CompressionMode.Decompress),
                    _ => throw new NotSupportedException(),
                };
                data = ReadLimited(decoder, MaxEnvelopeBytes);
            }
            catch (NotSupportedException)
            {
                status = StatusCodes.Status415UnsupportedMediaType;
                error = $"unsupported Content-Encoding '{encoding}': use gzip, deflate, br or none";
                return null;
            }
            catch (BadHttpRequestException exception)
            {
                status = StatusCodes.Status413PayloadTooLarge;
                error = $"the decompressed envelope is too large: {exception.Message}";
                return null;
            }
            catch (InvalidDataException exception)
            {
                status = StatusCodes.Status400BadRequest;
                error = $"the body is not valid {encoding} data: {exception.Message}";
                return null;
            }
        }

        return data;
    }

    /// <summary>RFC 1950: CMF 0x?8 with a 32 KiB window or less, and (CMF*256 + FLG) divisible by 31.</summary>
    private static bool IsZlibHeader(byte[] data)
        => data.Length >= 2 && (data[0] & 0x0F) == 8 && (data[0] >> 4) <= 7 && ((data[0] << 8) | data[1]) % 31 == 0;

    /// <summary>Returns why the request's authentication is refused, or <see langword="null"/> when it is valid.</summary>
    private string? CheckAuthentication(HttpRequest request)
    {
        var header = request.Headers["X-Sentry-Auth"].ToString();
        string? key;
        string? version;
        string? secret;
        string source;
        if (header.Length > 0)
        {
            source = "X-Sentry-Auth";
            if (!TryParseAuthHeader(header, out var values, out var error))
            {
                return error;
            }

            values.TryGetValue("sentry_key", out key);
            values.TryGetValue("sentry_version", out version);
            values.TryGetValue("sentry_secret", out secret);
        }
        else if (request.Query.ContainsKey("sentry_key") || request.Query.ContainsKey("sentry_version"))
        {
            source = "the query string";
            key = NullIfEmpty(request.Query["sentry_key"].ToString());
            version = NullIfEmpty(request.Query["sentry_version"].ToString());
            secret = NullIfEmpty(request.Query["sentry_secret"].ToString());
        }
        else
        {
            return "missing authorization: send the header 'X-Sentry-Auth: Sentry sentry_version=7,sentry_client=<client>,sentry_key=<public key>' (or the query string ?sentry_key=<public key>&sentry_version=7)";
        }

        if (key is null)
        {
            return $"missing sentry_key in {source}";
        }

        if (!string.Equals(key, PublicKey, StringComparison.Ordinal))
        {
            return $"unknown public key '{key}' in {source}";
        }

        if (version is null)
        {
            return $"missing sentry_version in {source} (expected 7)";
        }

        if (version != "7")
        {
            return $"unsupported sentry_version '{version}' in {source} (expected 7)";
        }

        if (SecretKey is not null && !string.Equals(secret, SecretKey, StringComparison.Ordinal))
        {
            return secret is null ? $"missing sentry_secret in {source}" : $"wrong sentry_secret in {source}";
        }

        return null;
    }

    /// <summary>Parses <c>Sentry key=value, key = value, …</c>; spaces after commas and around <c>=</c> are tolerated.</summary>
    private static bool TryParseAuthHeader(string header, out Dictionary<string, string> values, out string? error)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = header.Trim();
        const string Scheme = "Sentry";
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || text.Length == Scheme.Length || !char.IsWhiteSpace(text[Scheme.Length]))
        {
            error = $"X-Sentry-Auth must start with 'Sentry ' followed by key=value pairs, not '{EnvelopeParser.Shorten(text, 40)}'";
            return false;
        }

        foreach (var pair in text[Scheme.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"X-Sentry-Auth has a malformed pair '{EnvelopeParser.Shorten(pair, 40)}' (expected key=value)";
                return false;
            }

            values[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
        }

        error = null;
        return true;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>Builds the typed envelope, events and client reports; refuses the result when an item is invalid.</summary>
    private static void BuildEnvelope(ReceiveResult result, IHeaderDictionary requestHeaders, int bodyLength, byte[] envelopeBytes, ParsedEnvelope parsed)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in requestHeaders)
        {
            headers[name] = string.Join(", ", value.ToArray());
        }

        var items = parsed.Items
            .Select(item => new ReceivedEnvelopeItem(item.Type, item.Header, item.HeaderJson, item.DeclaredLength, item.Payload))
            .ToArray();
        var envelope = new ReceivedEnvelope(result.ReceivedAt, headers, bodyLength, envelopeBytes, parsed.Header, parsed.HeaderJson, parsed.EventId, parsed.SentAt, items);

        var events = new List<ReceivedEvent>();
        var clientReports = new List<ReceivedClientReport>();
        for (var index = 0; index < items.Length; index++)
        {
            var item = items[index];
            switch (item.Type)
            {
                case "event":
                    if (events.Count > 0)
                    {
                        result.Refuse(StatusCodes.Status400BadRequest, $"invalid envelope: item {index} is a second event item (an envelope carries at most one)");
                        return;
                    }

                    if (item.Payload.Length > MaxEventBytes)
                    {
                        result.Refuse(StatusCodes.Status413PayloadTooLarge, $"item {index} (event) is {item.Payload.Length} bytes, over the {MaxEventBytes} byte limit");
                        return;
                    }

                    if (!TryParsePayload(item, index, result, out var eventJson))
                    {
                        return;
                    }

                    events.Add(new ReceivedEvent(eventJson, item.PayloadText, envelope));
                    break;

                case "client_report":
                    if (!TryParsePayload(item, index, result, out var reportJson))
                    {
                        return;
                    }

                    clientReports.Add(new ReceivedClientReport(reportJson, item.PayloadText, envelope));
                    break;
            }
        }

        result.Envelope = envelope;
        result.Events = events;
        result.ClientReports = clientReports;
    }

    private static bool TryParsePayload(ReceivedEnvelopeItem item, int index, ReceiveResult result, out JsonElement json)
    {
        json = default;
        try
        {
            using var document = JsonDocument.Parse(item.Payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                json = document.RootElement.Clone();
                return true;
            }
        }
        catch (JsonException exception)
        {
            result.Refuse(StatusCodes.Status400BadRequest, $"invalid envelope: item {index} ({item.Type}) payload is not valid JSON ({exception.Message}): {EnvelopeParser.Shorten(item.PayloadText)}");
            return false;
        }

        result.Refuse(StatusCodes.Status400BadRequest, $"invalid envelope: item {index} ({item.Type}) payload is not a JSON object: {EnvelopeParser.Shorten(item.PayloadText)}");
        return false;
    }
}
