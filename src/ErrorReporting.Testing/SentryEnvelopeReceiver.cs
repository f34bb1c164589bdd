using System.Buffers;
using System.IO.Compression;
using System.Runtime.CompilerServices;
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

    /// <summary>The first read of a body of unknown length.</summary>
    private const int InitialBodyBuffer = 4096;

    private static readonly byte[] s_emptyObject = "{}"u8.ToArray();

    private readonly object _gate = new();
    private readonly List<ReceivedEnvelope> _envelopes = [];
    private readonly List<ReceivedEvent> _events = [];
    private readonly List<ReceivedClientReport> _clientReports = [];
    private readonly List<RejectedRequest> _rejections = [];
    private readonly ConditionWaiters _waiters;
    private readonly TimeProvider _time;

    /// <summary>Incremented by <see cref="Clear"/>, so that waiters scanning events incrementally start over.</summary>
    private int _generation;

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
    public Task HandleAsync(HttpContext context)
    {
        if (context is null)
        {
            return Task.FromException(new ArgumentNullException(nameof(context)));
        }

        try
        {
            // Usually the body is already buffered and the answer fits the response buffer: no await at all.
            var receiving = ReceiveAsync(context);
            return receiving.IsCompletedSuccessfully ? AnswerAsync(context, receiving.Result) : HandleRestAsync(context, receiving);
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
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
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>, or the wait is needed and
    /// <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
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
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>, or the wait is needed and
    /// <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">The event did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<ReceivedEvent> WaitForEventAsync(string eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        // The probe runs under the lock each time something is recorded: it looks only at the events added since.
        var scanned = 0;
        var generation = -1;
        return _waiters.WaitAsync(
            () =>
            {
                if (generation != _generation)
                {
                    generation = _generation;
                    scanned = 0;
                }

                for (; scanned < _events.Count; scanned++)
                {
                    var received = _events[scanned];
                    if (SameEventId(received.EventId, eventId) || SameEventId(received.EnvelopeEventId, eventId))
                    {
                        return received;
                    }
                }

                return null;
            },
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
            _generation++;
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

    private async Task HandleRestAsync(HttpContext context, ValueTask<ReceiveResult> receiving)
    {
        var result = await receiving.ConfigureAwait(false);
        await AnswerAsync(context, result).ConfigureAwait(false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Task AnswerAsync(HttpContext context, ReceiveResult result)
    {
        if (result.ClientDisconnected)
        {
            return Task.CompletedTask;
        }

        Record(result);
        return WriteResponseAsync(context, result, extraHeaders: null, context.RequestAborted);
    }

    /// <summary>
    /// Reads and checks a request without recording or answering it.
    /// </summary>
    /// <remarks>
    /// The methods of the request path are compiled fully optimized at once (<see cref="MethodImplOptions.AggressiveOptimization"/>)
    /// and complete synchronously when the body is already buffered: a test server lives for seconds, not long enough
    /// for tiered compilation to optimize them (nor for an <see langword="async"/> state machine, which that attribute
    /// does not reach), and a throughput test spends most of its time on this path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ValueTask<ReceiveResult> ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        var result = new ReceiveResult
        {
            ReceivedAt = _time.GetUtcNow(),
            Method = request.Method,
            Path = request.PathBase.Add(request.Path).Value ?? "/",
        };

        if (!CheckPathAndMethod(request, result, out var projectIdStart, out var projectIdLength))
        {
            return new ValueTask<ReceiveResult>(result);
        }

        var body = new PooledBytes(InitialBodySize(request.ContentLength));
        ValueTask<int> pending;
        bool complete;
        try
        {
            complete = TryReadBody(request.Body, ref body, context.RequestAborted, out pending);
        }
        catch (Exception exception) when (IsReadFailure(exception))
        {
            body.Return();
            ReadFailed(result, exception);
            return new ValueTask<ReceiveResult>(result);
        }

        if (!complete)
        {
            return ReceiveRestAsync(context, result, body, pending, projectIdStart, projectIdLength);
        }

        // The buffer goes with the call, which returns it to the pool.
        CheckBody(request, result, body, projectIdStart, projectIdLength);
        return new ValueTask<ReceiveResult>(result);
    }

    /// <summary>Reads the rest of a body that was not buffered yet, then checks it.</summary>
    private async ValueTask<ReceiveResult> ReceiveRestAsync(
        HttpContext context, ReceiveResult result, PooledBytes body, ValueTask<int> pending, int projectIdStart, int projectIdLength)
    {
        var request = context.Request;
        try
        {
            var read = await pending.ConfigureAwait(false);
            while (read > 0)
            {
                body.Advance(read, MaxEnvelopeBytes);
                body.EnsureSpace(MaxEnvelopeBytes);
                read = await request.Body.ReadAsync(body.Free, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (IsReadFailure(exception))
        {
            body.Return();
            ReadFailed(result, exception);
            return result;
        }

        CheckBody(request, result, body, projectIdStart, projectIdLength);
        return result;
    }

    /// <summary>Refuses any path but <c>/api/{project_id}/envelope/</c> (404) and any method but POST (405).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool CheckPathAndMethod(HttpRequest request, ReceiveResult result, out int projectIdStart, out int projectIdLength)
    {
        if (!MatchEnvelopePath(request.Path.Value, out projectIdStart, out projectIdLength))
        {
            result.Refuse(StatusCodes.Status404NotFound, Refusal.NotFound(result.Path));
            return false;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            result.Refuse(StatusCodes.Status405MethodNotAllowed, Refusal.MethodNotAllowed(request.Method));
            return false;
        }

        return true;
    }

    /// <summary>One byte more than <c>Content-Length</c>, so that the end of the body is seen without growing the buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int InitialBodySize(long? contentLength)
        => contentLength is { } announced && announced >= 0 && announced < MaxEnvelopeBytes ? (int)announced + 1 : InitialBodyBuffer;

    /// <summary>
    /// Reads the body into <paramref name="body"/> for as long as reads complete synchronously. Returns
    /// <see langword="true"/> at its end, or <see langword="false"/> with the read still <paramref name="pending"/>.
    /// </summary>
    /// <exception cref="BadHttpRequestException">The body exceeds <see cref="MaxEnvelopeBytes"/> (or the server refused it).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadBody(Stream source, ref PooledBytes body, CancellationToken cancellationToken, out ValueTask<int> pending)
    {
        while (true)
        {
            body.EnsureSpace(MaxEnvelopeBytes);
            var read = source.ReadAsync(body.Free, cancellationToken);
            if (!read.IsCompletedSuccessfully)
            {
                pending = read;
                return false;
            }

            var count = read.Result;
            if (count == 0)
            {
                pending = default;
                return true;
            }

            body.Advance(count, MaxEnvelopeBytes);
        }
    }

    private static bool IsReadFailure(Exception exception) => exception is BadHttpRequestException or IOException or OperationCanceledException;

    private static void ReadFailed(ReceiveResult result, Exception exception)
    {
        if (exception is BadHttpRequestException badRequest)
        {
            result.Refuse(badRequest.StatusCode, $"the request body could not be read: {badRequest.Message}");
            return;
        }

        result.ClientDisconnected = true;
        result.Refuse(499, $"the client went away while sending the body: {exception.Message}");
    }

    /// <summary>Checks the body read (and returns its buffer to the pool).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CheckBody(HttpRequest request, ReceiveResult result, PooledBytes body, int projectIdStart, int projectIdLength)
    {
        try
        {
            result.BodyLength = body.Length;
            Check(request, result, body, request.Path.Value.AsSpan(projectIdStart, projectIdLength));
        }
        finally
        {
            body.Return();
        }
    }

    /// <summary>Checks a request whose body was read, in Sentry's order, and builds the envelope when it is accepted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Check(HttpRequest request, ReceiveResult result, PooledBytes body, ReadOnlySpan<char> pathProjectId)
    {
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
        else if (!pathProjectId.SequenceEqual(ProjectId))
        {
            result.Refuse(StatusCodes.Status403Forbidden, Refusal.ProjectMismatch(ProjectId, pathProjectId));
        }
        else if (envelopeBytes is null)
        {
            result.Refuse(decodeStatus, decodeError!);
        }
        else if (parsed is null)
        {
            result.Refuse(StatusCodes.Status400BadRequest, Refusal.InvalidEnvelope(parseError));
        }
        else
        {
            BuildEnvelope(result, request.Headers, body.Length, envelopeBytes, parsed);
        }
    }

    /// <summary>Records an accepted envelope, or the refusal of a request.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void RecordAccepted(ReceiveResult result)
    {
        var envelope = result.Envelope!;
        var received = result.Event;
        lock (_gate)
        {
            _envelopes.Add(envelope);
            if (received is not null)
            {
                _events.Add(received);
            }

            if (result.ClientReports.Count > 0)
            {
                _clientReports.AddRange(result.ClientReports);
            }

            _waiters.CheckAll();
        }

        if (EnvelopeReceived is { } envelopeHandlers)
        {
            Raise(envelopeHandlers, new SentryEnvelopeReceivedEventArgs(envelope));
        }

        if (received is not null && EventReceived is { } eventHandlers)
        {
            Raise(eventHandlers, new SentryEventReceivedEventArgs(received));
        }
    }

    /// <summary>Writes the receiver's own answer for a result, with optional extra headers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Task WriteResponseAsync(HttpContext context, ReceiveResult result, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders, CancellationToken cancellationToken)
    {
        var body = result.StatusCode == StatusCodes.Status200OK
            ? (result.EventId is { } id ? IdResponse(id) : s_emptyObject)
            : Encoding.UTF8.GetBytes(JsonObject("detail", result.Detail ?? "refused"));
        return WriteAsync(context.Response, result.StatusCode, "application/json", body, extraHeaders, cancellationToken);
    }

    internal static Task WriteAsync(HttpResponse response, int statusCode, string? contentType, string? body, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders, CancellationToken cancellationToken)
        => WriteAsync(response, statusCode, contentType, body is null ? null : Encoding.UTF8.GetBytes(body), extraHeaders, cancellationToken);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Task WriteAsync(HttpResponse response, int statusCode, string? contentType, byte[]? body, IReadOnlyList<KeyValuePair<string, string>>? extraHeaders, CancellationToken cancellationToken)
    {
        response.StatusCode = statusCode;
        if (statusCode == StatusCodes.Status405MethodNotAllowed)
        {
            response.Headers.Allow = "POST";
        }

        if (extraHeaders is not null)
        {
            foreach (var (name, value) in extraHeaders)
            {
                response.Headers.Append(name, value);
            }
        }

        if (body is null)
        {
            response.ContentLength = 0;
            return Task.CompletedTask;
        }

        response.ContentType = contentType;
        response.ContentLength = body.Length;
        var write = response.Body.WriteAsync(body, cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return Task.CompletedTask;
        }

        return write.AsTask();
    }

    /// <summary><c>{"id":"…"}</c>, written directly when the id needs no escaping (it is a checked event id, so it never does in practice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[] IdResponse(string id)
    {
        ReadOnlySpan<byte> prefix = "{\"id\":\""u8;
        ReadOnlySpan<byte> suffix = "\"}"u8;
        var bytes = new byte[prefix.Length + id.Length + suffix.Length];
        prefix.CopyTo(bytes);
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return Encoding.UTF8.GetBytes(JsonObject("id", id));
            }

            bytes[prefix.Length + i] = (byte)c;
        }

        suffix.CopyTo(bytes.AsSpan(prefix.Length + id.Length));
        return bytes;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Raise<TArgs>(EventHandler<TArgs> handlers, TArgs args)
        where TArgs : EventArgs
    {
#if NET9_0_OR_GREATER
        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
#else
        foreach (EventHandler<TArgs> handler in handlers.GetInvocationList())
#endif
        {
            try
            {
                handler(this, args);
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

        if (Guid.TryParse(received, out var left) && Guid.TryParse(expected, out var right))
        {
            return left == right;
        }

        return string.Equals(received, expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Matches <c>/api/{project_id}/envelope[/]</c> (leading and trailing <c>/</c> ignored) and gives where the project
    /// id is in <paramref name="path"/>; <see langword="false"/> for any other path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool MatchEnvelopePath(string? path, out int projectIdStart, out int projectIdLength)
    {
        projectIdStart = 0;
        projectIdLength = 0;
        if (path is null)
        {
            return false;
        }

        var start = path.Length - path.AsSpan().TrimStart('/').Length;
        var inner = path.AsSpan().Trim('/');
        if (!inner.StartsWith("api/", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = inner["api/".Length..];
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !rest[(slash + 1)..].SequenceEqual("envelope"))
        {
            return false;
        }

        projectIdStart = start + "api/".Length;
        projectIdLength = slash;
        return true;
    }

    /// <summary>
    /// Undoes the <c>Content-Encoding</c> (applied in order, so undone in reverse). Returns the envelope bytes, in an
    /// array of their exact length that the envelope keeps, or <see langword="null"/> with the status and reason.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[]? Decode(PooledBytes body, string contentEncoding, out int status, out string? error)
    {
        status = StatusCodes.Status200OK;
        error = null;
        var data = body;
        var decoded = default(PooledBytes);
        try
        {
            var encodings = contentEncoding.AsSpan();
            while (NextEncodingFromTheEnd(ref encodings) is { IsEmpty: false } encoding)
            {
                if (encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                try
                {
                    var next = Decompress(data, encoding);
                    decoded.Return();
                    decoded = next;
                    data = next;
                }
                catch (NotSupportedException)
                {
                    status = StatusCodes.Status415UnsupportedMediaType;
                    error = Refusal.UnsupportedEncoding(encoding);
                    return null;
                }
                catch (BadHttpRequestException exception)
                {
                    status = StatusCodes.Status413PayloadTooLarge;
                    error = Refusal.DecompressedTooLarge(exception.Message);
                    return null;
                }
                catch (InvalidDataException exception)
                {
                    status = StatusCodes.Status400BadRequest;
                    error = Refusal.InvalidCompressedData(encoding, exception.Message);
                    return null;
                }
            }

            return data.Span.ToArray();
        }
        finally
        {
            decoded.Return();
        }
    }

    /// <summary>Takes the last comma-separated entry off <paramref name="list"/>, trimmed; skips empty ones. Empty when none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<char> NextEncodingFromTheEnd(ref ReadOnlySpan<char> list)
    {
        while (!list.IsEmpty)
        {
            var comma = list.LastIndexOf(',');
            var entry = list[(comma + 1)..].Trim();
            list = comma < 0 ? [] : list[..comma];
            if (!entry.IsEmpty)
            {
                return entry;
            }
        }

        return [];
    }

    /// <exception cref="NotSupportedException">The encoding is not gzip, deflate or br.</exception>
    /// <exception cref="BadHttpRequestException">The decompressed data exceeds <see cref="MaxEnvelopeBytes"/>.</exception>
    /// <exception cref="InvalidDataException">The data is not valid for the encoding.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PooledBytes Decompress(PooledBytes data, ReadOnlySpan<char> encoding)
    {
        var array = data.Array!;
        using var input = new MemoryStream(array, 0, data.Length, writable: false);
        using Stream decoder =
            encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(input, CompressionMode.Decompress)
            : encoding.Equals("deflate", StringComparison.OrdinalIgnoreCase)
                ? (IsZlibHeader(data.Span) ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress))
            : encoding.Equals("br", StringComparison.OrdinalIgnoreCase)
                ? new BrotliStream(input, CompressionMode.Decompress)
            : throw new NotSupportedException();

        var output = new PooledBytes((int)Math.Clamp(4L * data.Length, 16 * 1024, (long)MaxEnvelopeBytes + 1));
        try
        {
            while (true)
            {
                output.EnsureSpace(MaxEnvelopeBytes);
                var read = decoder.Read(output.Free.Span);
                if (read == 0)
                {
                    return output;
                }

                output.Advance(read, MaxEnvelopeBytes);
            }
        }
        catch
        {
            output.Return();
            throw;
        }
    }

    /// <summary>RFC 1950: CMF 0x?8 with a 32 KiB window or less, and (CMF*256 + FLG) divisible by 31.</summary>
    private static bool IsZlibHeader(ReadOnlySpan<byte> data)
        => data.Length >= 2 && (data[0] & 0x0F) == 8 && (data[0] >> 4) <= 7 && ((data[0] << 8) | data[1]) % 31 == 0;

    /// <summary>Returns why the request's authentication is refused, or <see langword="null"/> when it is valid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? CheckAuthentication(HttpRequest request)
    {
        var header = request.Headers["X-Sentry-Auth"].ToString();
        if (header.Length > 0)
        {
            return CheckAuthHeader(header);
        }

        if (request.Query.ContainsKey("sentry_key") || request.Query.ContainsKey("sentry_version"))
        {
            var key = NullIfEmpty(request.Query["sentry_key"].ToString());
            var version = NullIfEmpty(request.Query["sentry_version"].ToString());
            var secret = NullIfEmpty(request.Query["sentry_secret"].ToString());
            return CheckCredentials("the query string", key is not null, key, version is not null, version, secret is not null, secret);
        }

        return "missing authorization: send the header 'X-Sentry-Auth: Sentry sentry_version=7,sentry_client=<client>,sentry_key=<public key>' (or the query string ?sentry_key=<public key>&sentry_version=7)";
    }

    /// <summary>
    /// Checks <c>Sentry key=value, key = value, …</c> (spaces after commas and around <c>=</c> are tolerated; a repeated
    /// key counts with its last value), without allocating unless it is refused.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? CheckAuthHeader(string header)
    {
        const string Scheme = "Sentry";
        var text = header.AsSpan().Trim();
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || text.Length == Scheme.Length || !char.IsWhiteSpace(text[Scheme.Length]))
        {
            return Refusal.AuthScheme(text);
        }

        ReadOnlySpan<char> key = [], version = [], secret = [];
        bool hasKey = false, hasVersion = false, hasSecret = false;
        var rest = text[Scheme.Length..];
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var pair = (comma < 0 ? rest : rest[..comma]).Trim();
            rest = comma < 0 ? [] : rest[(comma + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                return Refusal.AuthPair(pair);
            }

            var name = pair[..equals].Trim();
            var value = pair[(equals + 1)..].Trim();
            if (name.SequenceEqual("sentry_key"))
            {
                key = value;
                hasKey = true;
            }
            else if (name.SequenceEqual("sentry_version"))
            {
                version = value;
                hasVersion = true;
            }
            else if (name.SequenceEqual("sentry_secret"))
            {
                secret = value;
                hasSecret = true;
            }
        }

        return CheckCredentials("X-Sentry-Auth", hasKey, key, hasVersion, version, hasSecret, secret);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? CheckCredentials(
        string source, bool hasKey, ReadOnlySpan<char> key, bool hasVersion, ReadOnlySpan<char> version, bool hasSecret, ReadOnlySpan<char> secret)
    {
        if (!hasKey)
        {
            return Refusal.MissingKey(source);
        }

        if (!key.SequenceEqual(PublicKey))
        {
            return Refusal.UnknownKey(key, source);
        }

        if (!hasVersion)
        {
            return Refusal.MissingVersion(source);
        }

        if (!version.SequenceEqual("7"))
        {
            return Refusal.UnsupportedVersion(version, source);
        }

        if (SecretKey is not null && !(hasSecret && secret.SequenceEqual(SecretKey)))
        {
            return Refusal.Secret(hasSecret, source);
        }

        return null;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>Checks the items and builds the envelope, its event and client reports; refuses the result when an item is invalid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BuildEnvelope(ReceiveResult result, IHeaderDictionary requestHeaders, int bodyLength, byte[] envelopeBytes, ParsedEnvelope parsed)
    {
        var items = parsed.Items;
        var envelope = new ReceivedEnvelope(
            result.ReceivedAt, ReceivedEnvelope.CaptureHeaders(requestHeaders), bodyLength, envelopeBytes, parsed.HeaderLine, parsed.EventId, items);

        ReceivedEvent? received = null;
        List<ReceivedClientReport>? clientReports = null;
        for (var index = 0; index < items.Length; index++)
        {
            var item = items[index];
            switch (item.Type)
            {
                case "event":
                    if (received is not null)
                    {
                        result.Refuse(StatusCodes.Status400BadRequest, Refusal.SecondEvent(index));
                        return;
                    }

                    if (item.Payload.Length > MaxEventBytes)
                    {
                        result.Refuse(StatusCodes.Status413PayloadTooLarge, Refusal.EventTooLarge(index, item.Payload.Length, MaxEventBytes));
                        return;
                    }

                    var eventId = new EventIdVisitor(parsed.EventId);
                    if (!CheckPayload(item, index, ref eventId, result))
                    {
                        return;
                    }

                    received = new ReceivedEvent(item, eventId.EventId, envelope);
                    break;

                case "client_report":
                    var noVisitor = default(NoVisitor);
                    if (!CheckPayload(item, index, ref noVisitor, result))
                    {
                        return;
                    }

                    (clientReports ??= []).Add(new ReceivedClientReport(item, envelope));
                    break;
            }
        }

        result.Envelope = envelope;
        result.Event = received;
        result.ClientReports = clientReports ?? (IReadOnlyList<ReceivedClientReport>)[];
    }

    /// <summary>Checks that a payload is a JSON object of readable text; refuses the result otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool CheckPayload<TVisitor>(ReceivedEnvelopeItem item, int index, ref TVisitor visitor, ReceiveResult result)
        where TVisitor : struct, ITopLevelVisitor, IFastMemberVisitor
    {
        // The fast check decides the usual payload; anything it is unsure of goes through the exact one.
        var start = visitor;
        if (JsonFastScan.TryCheckObject(item.Payload.Span, ref visitor))
        {
            return true;
        }

        visitor = start;
        var problem = JsonScan.CheckObject(item.Payload.Span, ref visitor, out var detail);
        if (problem == JsonProblem.None)
        {
            return true;
        }

        result.Refuse(StatusCodes.Status400BadRequest, Refusal.Payload(index, item, problem, detail));
        return false;
    }

    /// <summary>
    /// Reads the payload's <c>event_id</c> during the check, as <see cref="ReceivedEvent.EventId"/> is defined: the last
    /// top-level <c>event_id</c>, when it is a string. Shares the envelope header's string when they are the same.
    /// </summary>
    private struct EventIdVisitor(string? envelopeEventId) : ITopLevelVisitor, IFastMemberVisitor
    {
        public string? EventId { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool OnMember(ReadOnlySpan<byte> json, Range name, JsonTokenType kind, Range value, bool valueEscaped)
        {
            if (!json[name].SequenceEqual("event_id"u8))
            {
                return true;
            }

            if (kind != JsonTokenType.String)
            {
                EventId = null;
                return true;
            }

            if (valueEscaped)
            {
                return false;
            }

            var text = json[value];
            EventId = envelopeEventId is not null && FastText.EqualsAscii(text, envelopeEventId) ? envelopeEventId : Encoding.UTF8.GetString(text);
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int OnName(ref Utf8JsonReader reader) => reader.ValueTextEquals("event_id"u8) ? 0 : -1;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnValue(int id, ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                EventId = null;
            }
            else if (envelopeEventId is not null && !reader.ValueIsEscaped && System.Text.Ascii.Equals(reader.ValueSpan, envelopeEventId))
            {
                EventId = envelopeEventId;
            }
            else
            {
                EventId = JsonScan.TryGetString(ref reader);
            }
        }
    }

    private struct NoVisitor : ITopLevelVisitor, IFastMemberVisitor
    {
        public readonly bool OnMember(ReadOnlySpan<byte> json, Range name, JsonTokenType kind, Range value, bool valueEscaped) => true;

        public readonly int OnName(ref Utf8JsonReader reader) => -1;

        public readonly void OnValue(int id, ref Utf8JsonReader reader)
        {
        }
    }
}
