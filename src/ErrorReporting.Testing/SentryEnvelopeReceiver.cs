using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ErrorReporting.Testing.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

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
    private const int MaxListedInMessages = 10;

    private readonly object _gate = new();
    private readonly List<ReceivedEnvelope> _envelopes = [];
    private readonly List<ReceivedEvent> _events = [];
    private readonly List<ReceivedClientReport> _clientReports = [];
    private readonly List<RejectedRequest> _rejections = [];
    private readonly ConditionWaiters _waiters;

    /// <summary>
    /// Initializes a new instance of the <see cref="SentryEnvelopeReceiver"/> class.
    /// </summary>
    /// <param name="publicKey">The public key requests must carry (<c>sentry_key</c>).</param>
    /// <param name="projectId">The project id the path must name.</param>
    /// <param name="secretKey">
    /// The secret key requests must carry (<c>sentry_secret</c>), or <see langword="null"/> (the default) or empty to
    /// accept requests without one. When set, a request without it or with another one is refused.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="publicKey"/> or <paramref name="projectId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="publicKey"/> or <paramref name="projectId"/> is empty.</exception>
    public SentryEnvelopeReceiver(string publicKey, string projectId, string? secretKey = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(publicKey);
        ArgumentException.ThrowIfNullOrEmpty(projectId);
        PublicKey = publicKey;
        ProjectId = projectId;
        SecretKey = string.IsNullOrEmpty(secretKey) ? null : secretKey;
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
        if (!result.ClientDisconnected)
        {
            Record(result);
            await AnswerAsync(context, result, []).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> events have arrived.
    /// </summary>
    /// <param name="count">The number of events to wait for.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>All events received so far (at least <paramref name="count"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="count"/> is negative, or <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>,
    /// or the wait is needed and <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">Fewer events arrived within <paramref name="timeout"/>. The message lists what did arrive and what was refused.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return WaitAsync<IReadOnlyList<ReceivedEvent>>(() => _events.Count >= count ? _events.ToArray() : null, $"{count} event(s)", timeout, cancellationToken);
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
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>, or the wait is needed and
    /// <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(Func<IReadOnlyList<ReceivedEvent>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return WaitAsync<IReadOnlyList<ReceivedEvent>>(() => _events.ToArray() is var events && condition(events) ? events : null, "events satisfying the condition", timeout, cancellationToken);
    }

    /// <summary>
    /// Waits until the event with the given id has arrived (matched against the payload's and the envelope header's <c>event_id</c>).
    /// </summary>
    /// <param name="eventId">The event id: 32 hexadecimal characters or a hyphenated GUID.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="eventId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>, or the wait is needed and
    /// <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">The event did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<ReceivedEvent> WaitForEventAsync(string eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        return WaitAsync(
            () => _events.Find(received => SameEventId(received.EventId, eventId) || SameEventId(received.EnvelopeEventId, eventId)),
            $"event {eventId}",
            timeout,
            cancellationToken);
    }

    /// <summary>
    /// Waits until the event with the given id has arrived (matched against the payload's and the envelope header's <c>event_id</c>).
    /// </summary>
    /// <param name="eventId">The id a report call returned.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ArgumentException"><paramref name="eventId"/> is <see cref="SentryId.Empty"/> (the report was not accepted, so no event will arrive).</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>, or the wait is needed and
    /// <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">The event did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<ReceivedEvent> WaitForEventAsync(SentryId eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (eventId == SentryId.Empty)
        {
            throw new ArgumentException("The event id is SentryId.Empty: the report was not accepted, so no event will arrive.", nameof(eventId));
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
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>, or the wait is needed and
    /// <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedClientReport>> WaitForClientReportsAsync(
        Func<IReadOnlyList<ReceivedClientReport>, bool> condition,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return WaitAsync<IReadOnlyList<ReceivedClientReport>>(() => _clientReports.ToArray() is var reports && condition(reports) ? reports : null, "client reports satisfying the condition", timeout, cancellationToken);
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
            _waiters.Changed();
        }
    }

    /// <summary>
    /// Reads and checks a request without recording or answering it: the checks run in the order of the
    /// <see cref="Refusal"/> table, and the first that fails decides the answer.
    /// </summary>
    internal async Task<ReceiveResult> ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        var result = new ReceiveResult(DateTimeOffset.UtcNow, request.Method, request.PathBase.Add(request.Path).Value ?? "/");
        try
        {
            var pathProjectId = MatchEnvelopePath(request.Path.Value) ?? throw Refusal.NotFound(result.Path);
            if (!HttpMethods.IsPost(request.Method))
            {
                throw Refusal.MethodNotAllowed(request.Method);
            }

            var body = await ReadBodyAsync(context).ConfigureAwait(false);
            result.BodyLength = body.Length;

            // Split the envelope before deciding, so that even a refused request shows its event id.
            byte[]? envelopeBytes = null;
            ParsedEnvelope? parsed = null;
            Refusal? envelopeRefusal = null;
            try
            {
                envelopeBytes = Decode(body, request.Headers.ContentEncoding.ToString());
                parsed = EnvelopeReader.Read(envelopeBytes);
                result.EventId = parsed.EventId;
            }
            catch (Refusal refusal)
            {
                envelopeRefusal = refusal;
            }

            CheckAuthentication(request);
            if (pathProjectId != ProjectId)
            {
                throw Refusal.ProjectMismatch(ProjectId, pathProjectId);
            }

            if (envelopeRefusal is not null)
            {
                throw envelopeRefusal;
            }

            CheckItems(result, new ReceivedEnvelope(result.ReceivedAt, request.Headers, body.Length, envelopeBytes, parsed!));
        }
        catch (Refusal refusal)
        {
            result.Refuse(refusal.StatusCode, refusal.Message);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            result.ClientDisconnected = true;
            result.Refuse(499, $"the client went away while sending the body: {exception.Message}");
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
            _waiters.Changed();
        }
    }

    /// <summary>Records an accepted envelope and raises the events.</summary>
    internal void RecordAccepted(ReceiveResult result)
    {
        var envelope = result.Envelope!;
        lock (_gate)
        {
            _envelopes.Add(envelope);
            if (result.Event is { } received)
            {
                _events.Add(received);
            }

            _clientReports.AddRange(result.ClientReports);
            _waiters.Changed();
        }

        Raise(EnvelopeReceived, new SentryEnvelopeReceivedEventArgs(envelope));
        if (result.Event is { } receivedEvent)
        {
            Raise(EventReceived, new SentryEventReceivedEventArgs(receivedEvent));
        }
    }

    /// <summary>Answers with the receiver's own answer for a result, and optional extra headers.</summary>
    internal static Task AnswerAsync(HttpContext context, ReceiveResult result, IEnumerable<KeyValuePair<string, string>> extraHeaders)
    {
        Dictionary<string, string> answer = result.StatusCode != StatusCodes.Status200OK ? new() { ["detail"] = result.Detail ?? "refused" }
            : result.EventId is { } id ? new() { ["id"] = id }
            : [];
        return AnswerAsync(context, result.StatusCode, answer, extraHeaders);
    }

    /// <summary>Answers with a status and a JSON object, and optional extra headers.</summary>
    internal static Task AnswerAsync(HttpContext context, int statusCode, Dictionary<string, string> answer, IEnumerable<KeyValuePair<string, string>> extraHeaders)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        if (statusCode == StatusCodes.Status405MethodNotAllowed)
        {
            response.Headers.Allow = "POST";
        }

        foreach (var (name, value) in extraHeaders)
        {
            response.Headers.Append(name, value);
        }

        return response.WriteAsJsonAsync(answer, AnswerJsonContext.Default.DictionaryStringString, contentType: "application/json", context.RequestAborted);
    }

    /// <summary>Describes what arrived, for timeout messages.</summary>
    internal string Describe(string waitedFor, TimeSpan timeout)
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            text.Append("Timed out after ").Append(timeout == Timeout.InfiniteTimeSpan ? "∞" : $"{timeout.TotalSeconds:0.###} s")
                .Append(" waiting for ").Append(waitedFor)
                .Append(" at the Sentry envelope receiver (project ").Append(ProjectId).AppendLine(").");
            AppendList(text, $"Received {_events.Count} event(s)", _events);
            AppendList(text, $"Accepted {_envelopes.Count} envelope(s)", _envelopes);
            AppendList(text, $"Client reports: {_clientReports.Count}", _clientReports);
            AppendList(text, $"Refused {_rejections.Count} request(s)", _rejections);
        }

        text.Append(DescribeMore?.Invoke());
        return text.ToString().TrimEnd();
    }

    /// <summary>Appends a heading and the last items of a list, one per line.</summary>
    internal static void AppendList<T>(StringBuilder text, string heading, IReadOnlyList<T> items, int max = MaxListedInMessages)
    {
        text.Append(heading).AppendLine(items.Count > 0 ? ":" : ".");
        var skip = Math.Max(0, items.Count - max);
        if (skip > 0)
        {
            text.Append("  … ").Append(skip).AppendLine(" earlier");
        }

        foreach (var item in items.Skip(skip))
        {
            text.Append("  - ").Append(item).AppendLine();
        }
    }

    /// <summary>The project id of a path <c>/api/{project_id}/envelope[/]</c> (leading and trailing <c>/</c> ignored), or <see langword="null"/>.</summary>
    private static string? MatchEnvelopePath(string? path)
        => (path ?? "").Trim('/').Split('/') is ["api", { Length: > 0 } projectId, "envelope"] ? projectId : null;

    private static bool SameEventId(string? received, string expected)
        => received is not null && (Guid.TryParse(received, out var left) && Guid.TryParse(expected, out var right)
            ? left == right
            : string.Equals(received, expected, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the body as sent, up to <see cref="Refusal.MaxEnvelopeBytes"/> (the request's <c>MaxRequestBodySize</c>).</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = Refusal.MaxEnvelopeBytes;
        }

        using var body = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException exception)
        {
            throw exception.StatusCode == StatusCodes.Status413PayloadTooLarge ? Refusal.BodyTooLarge() : Refusal.BodyUnreadable(exception.StatusCode, exception.Message);
        }

        return body.ToArray();
    }

    /// <summary>Undoes the <c>Content-Encoding</c>: a list is applied in order, so it is undone in reverse.</summary>
    private static byte[] Decode(byte[] body, string contentEncoding)
    {
        var data = body;
        var encodings = contentEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var encoding in Enumerable.Reverse(encodings))
        {
            var input = new MemoryStream(data);
            using Stream decoder = encoding.ToLowerInvariant() switch
            {
                "identity" => input,
                "gzip" or "x-gzip" => new GZipStream(input, CompressionMode.Decompress),
                "deflate" when IsZlibHeader(data) => new ZLibStream(input, CompressionMode.Decompress),
                "deflate" => new DeflateStream(input, CompressionMode.Decompress),
                "br" => new BrotliStream(input, CompressionMode.Decompress),
                _ => throw Refusal.UnsupportedEncoding(encoding),
            };
            try
            {
                data = ReadAtMost(decoder, Refusal.MaxEnvelopeBytes) ?? throw Refusal.DecompressedTooLarge();
            }
            catch (InvalidDataException exception)
            {
                throw Refusal.InvalidCompressedData(encoding, exception.Message);
            }
        }

        return data;
    }

    /// <summary>RFC 1950: CMF 0x?8 with a 32 KiB window or less, and (CMF*256 + FLG) divisible by 31; raw deflate otherwise.</summary>
    private static bool IsZlibHeader(byte[] data)
        => data is [var cmf, var flg, ..] && (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;

    /// <summary>Reads a stream to its end, or returns <see langword="null"/> once it gives more than <paramref name="limit"/> bytes.</summary>
    private static byte[]? ReadAtMost(Stream source, int limit)
    {
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            if (output.Length + read > limit)
            {
                return null;
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    /// <summary>
    /// Checks the <c>X-Sentry-Auth</c> header (<c>Sentry key=value, key = value, …</c>; a repeated key counts with its
    /// last value), or, without one, the query string.
    /// </summary>
    private void CheckAuthentication(HttpRequest request)
    {
        var header = request.Headers["X-Sentry-Auth"].ToString();
        if (header.Length == 0)
        {
            if (!request.Query.ContainsKey("sentry_key") && !request.Query.ContainsKey("sentry_version"))
            {
                throw Refusal.MissingAuthentication();
            }

            string? Query(string name) => request.Query[name].ToString() is { Length: > 0 } value ? value : null;
            CheckCredentials("the query string", Query("sentry_key"), Query("sentry_version"), Query("sentry_secret"));
            return;
        }

        header = header.Trim();
        if (!header.StartsWith("Sentry", StringComparison.OrdinalIgnoreCase) || header.Length == "Sentry".Length || !char.IsWhiteSpace(header["Sentry".Length]))
        {
            throw Refusal.AuthScheme(header);
        }

        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in header["Sentry".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            pairs[equals > 0 ? pair[..equals].Trim() : throw Refusal.AuthPair(pair)] = pair[(equals + 1)..].Trim();
        }

        CheckCredentials("X-Sentry-Auth", pairs.GetValueOrDefault("sentry_key"), pairs.GetValueOrDefault("sentry_version"), pairs.GetValueOrDefault("sentry_secret"));
    }

    private void CheckCredentials(string source, string? key, string? version, string? secret)
    {
        if (key is null)
        {
            throw Refusal.MissingKey(source);
        }

        if (key != PublicKey)
        {
            throw Refusal.UnknownKey(key, source);
        }

        if (version is null)
        {
            throw Refusal.MissingVersion(source);
        }

        if (version != "7")
        {
            throw Refusal.UnsupportedVersion(version, source);
        }

        if (SecretKey is not null && secret != SecretKey)
        {
            throw Refusal.Secret(secret is not null, source);
        }
    }

    /// <summary>Checks the items (at most one event, of at most 1 MiB; event and client report payloads are JSON objects) and keeps the envelope.</summary>
    private static void CheckItems(ReceiveResult result, ReceivedEnvelope envelope)
    {
        for (var index = 0; index < envelope.Items.Count; index++)
        {
            var item = envelope.Items[index];
            if (item.Type == "event")
            {
                if (result.Event is not null)
                {
                    throw Refusal.SecondEvent(index);
                }

                if (item.Payload.Length > Refusal.MaxEventBytes)
                {
                    throw Refusal.EventTooLarge(index, item.Payload.Length);
                }

                result.Event = new ReceivedEvent(item, CheckPayload(item, index), envelope);
            }
            else if (item.Type == "client_report")
            {
                result.ClientReports.Add(new ReceivedClientReport(item, CheckPayload(item, index), envelope));
            }
        }

        result.Envelope = envelope;
    }

    private static JsonElement CheckPayload(ReceivedEnvelopeItem item, int index)
        => JsonRead.TryParseObject(item.Payload, out var payload) is { } problem ? throw Refusal.Payload(index, item.Type, problem, item.PayloadText) : payload;

    private T[] Snapshot<T>(List<T> items)
    {
        lock (_gate)
        {
            return [.. items];
        }
    }

    private Task<T> WaitAsync<T>(Func<T?> probe, string waitedFor, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
        => _waiters.WaitAsync(probe, timeout, () => Describe(waitedFor, timeout), cancellationToken);

    private void Raise<TArgs>(EventHandler<TArgs>? handlers, TArgs args)
        where TArgs : EventArgs
    {
        foreach (var handler in handlers?.GetInvocationList() ?? [])
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
}
