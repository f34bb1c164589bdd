namespace ErrorReporting.Testing;

/// <summary>
/// A Sentry-compatible envelope endpoint (<c>POST /api/{project_id}/envelope/</c>) that checks requests as Sentry
/// does and records what it accepts (envelopes, events, client reports) and what it refuses.
/// </summary>
/// <remarks>
/// <see cref="SentryTestServer"/> hosts one on loopback for tests; an ASP.NET Core application can host one too:
/// <c>app.MapPost("/api/{projectId}/envelope/", receiver.HandleAsync)</c>. Every refusal, with its status and reason,
/// is listed in the package's README. All members are thread-safe; the collections are snapshots taken when read.
/// </remarks>
public sealed class SentryEnvelopeReceiver
{
    private readonly List<ReceivedEnvelope> _envelopes = [];
    private readonly List<ReceivedEvent> _events = [];
    private readonly List<ReceivedClientReport> _clientReports = [];
    private readonly List<RejectedRequest> _rejections = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Initializes a new instance of the <see cref="SentryEnvelopeReceiver"/> class.</summary>
    /// <param name="publicKey">The public key requests must carry (<c>sentry_key</c>).</param>
    /// <param name="projectId">The project id the path must name.</param>
    /// <param name="secretKey">The secret key requests must carry (<c>sentry_secret</c>), or <see langword="null"/> or empty for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="publicKey"/> or <paramref name="projectId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="publicKey"/> or <paramref name="projectId"/> is empty.</exception>
    public SentryEnvelopeReceiver(string publicKey, string projectId, string? secretKey = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(publicKey);
        ArgumentException.ThrowIfNullOrEmpty(projectId);
        PublicKey = publicKey;
        ProjectId = projectId;
        SecretKey = string.IsNullOrEmpty(secretKey) ? null : secretKey;
    }

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

    /// <summary>Gets the lock of what is recorded, here and in the request log of <see cref="SentryTestServer"/>.</summary>
    internal object Gate { get; } = new();

    /// <summary>Handles a request to the envelope endpoint: checks it, records it, and answers it.</summary>
    /// <param name="context">The request's context.</param>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is <see langword="null"/>.</exception>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await ReceiveAsync(context).ConfigureAwait(false);
        if (result.Disconnected is null)
        {
            Record(result);
            await AnswerAsync(context, result.StatusCode, result.EventId, result.Detail, []).ConfigureAwait(false);
        }
    }

    /// <summary>Forgets everything recorded: envelopes, events, client reports and rejections.</summary>
    public void Clear()
    {
        lock (Gate)
        {
            _envelopes.Clear();
            _events.Clear();
            _clientReports.Clear();
            _rejections.Clear();
            Changed();
        }
    }

    /// <summary>
    /// Reads and checks a request without recording or answering it. The checks run in the order of the
    /// <see cref="Refusal"/> table; the first that fails decides the answer.
    /// </summary>
    internal async Task<ReceiveResult> ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        var result = new ReceiveResult(DateTimeOffset.UtcNow, request.Method, request.PathBase.Add(request.Path).Value ?? "/");
        try
        {
            var pathProjectId = RequestChecks.ProjectIdOfPath(request.Path.Value) ?? throw Refusal.NotFound(result.Path);
            if (!HttpMethods.IsPost(request.Method))
            {
                throw Refusal.MethodNotAllowed(request.Method);
            }

            var body = await RequestChecks.ReadBodyAsync(context).ConfigureAwait(false);
            result.BodyLength = body.Length;

            // The envelope is split before the rest is decided, so that even a refused request shows its event id.
            ReceivedEnvelope? envelope = null;
            Refusal? envelopeRefusal = null;
            try
            {
                var bytes = RequestChecks.Decode(body, request.Headers.ContentEncoding.ToString());
                var (header, eventId, items) = EnvelopeReader.Read(bytes);
                var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(", ", (IEnumerable<string?>)h.Value), StringComparer.OrdinalIgnoreCase);
                envelope = new ReceivedEnvelope(result.ReceivedAt, headers, body.Length, bytes, header, eventId, items);
                result.EventId = envelope.EventId;
            }
            catch (Refusal refusal)
            {
                envelopeRefusal = refusal;
            }

            RequestChecks.CheckAuthentication(request, PublicKey, SecretKey);
            if (pathProjectId != ProjectId)
            {
                throw Refusal.ProjectMismatch(ProjectId, pathProjectId);
            }

            result.Envelope = CheckItems(envelope ?? throw envelopeRefusal!, result);
        }
        catch (Refusal refusal)
        {
            result.Refusal = refusal;
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            result.Disconnected = $"the client went away while sending the body: {exception.Message}";
        }

        return result;
    }

    /// <summary>Records an accepted envelope (with its event and client reports), or the refusal of a request.</summary>
    internal void Record(ReceiveResult result)
    {
        lock (Gate)
        {
            if (result.Envelope is { } envelope)
            {
                _envelopes.Add(envelope);
                _events.AddRange(result.Event is { } received ? [received] : []);
                _clientReports.AddRange(result.ClientReports);
            }
            else
            {
                _rejections.Add(new RejectedRequest(result.ReceivedAt, result.Method, result.Path, result.StatusCode, result.Detail!, result.EventId));
            }

            Changed();
        }
    }

    /// <summary>
    /// Answers as Sentry does: 200 with <c>{"id":"…"}</c> (or <c>{}</c> without an event id), any other status with
    /// <c>{"detail":"…"}</c> (a 405 also with <c>Allow: POST</c>); then the extra headers. A <paramref name="body"/> (an
    /// injected fault's) is sent instead, as JSON if it looks like JSON, else as text.
    /// </summary>
    internal static Task AnswerAsync(HttpContext context, int statusCode, string? eventId, string? detail, IEnumerable<KeyValuePair<string, string>> extraHeaders, string? body = null)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        if (statusCode == StatusCodes.Status405MethodNotAllowed && body is null)
        {
            response.Headers.Allow = "POST";
        }

        foreach (var (name, value) in extraHeaders)
        {
            response.Headers.Append(name, value);
        }

        if (body is not null)
        {
            response.ContentType = body.TrimStart() is ['{' or '[', ..] ? "application/json" : "text/plain; charset=utf-8";
            return response.WriteAsync(body, context.RequestAborted);
        }

        // Every refusal has a reason (a Refusal's message, or the server's own for a fault): detail is set unless 200.
        Dictionary<string, string> answer = statusCode != StatusCodes.Status200OK ? new() { ["detail"] = detail! }
            : eventId is not null ? new() { ["id"] = eventId }
            : [];
        return response.WriteAsJsonAsync(answer, AnswerJsonContext.Default.DictionaryStringString, "application/json", context.RequestAborted);
    }

    /// <summary>Checks the items: at most one event, of at most 1 MiB; event and client report payloads are JSON objects of readable text.</summary>
    private static ReceivedEnvelope CheckItems(ReceivedEnvelope envelope, ReceiveResult result)
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

                result.Event = new ReceivedEvent(envelope, item, CheckPayload(item, index));
            }
            else if (item.Type == "client_report")
            {
                result.ClientReports.Add(new ReceivedClientReport(envelope, CheckPayload(item, index)));
            }
        }

        return envelope;
    }

    private static JsonElement CheckPayload(ReceivedEnvelopeItem item, int index)
        => JsonRead.TryParseObject(item.Payload, out var payload) is { } problem ? throw Refusal.Payload(index, item.Type, problem, item.PayloadText) : payload;

    /// <summary>Copies a list guarded by the lock of what is recorded.</summary>
    internal T[] Snapshot<T>(List<T> items)
    {
        lock (Gate)
        {
            return [.. items];
        }
    }

    /// <summary>Wakes the waits, which evaluate their conditions again. Call under <see cref="Gate"/> after a change.</summary>
    internal void Changed()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Waits until <paramref name="probe"/>, evaluated under the lock, returns a value. An exception it throws ends the wait.</summary>
    internal async Task<T> WaitAsync<T>(Func<T?> probe, TimeSpan timeout, Func<string> describeTimeout, CancellationToken cancellationToken)
        where T : class
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (Gate)
            {
                if (probe() is { } ready)
                {
                    return ready;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(describeTimeout());
            }
        }
    }
}
