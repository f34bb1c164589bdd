using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Testing;

/// <summary>
/// A Sentry-compatible server on 127.0.0.1 for tests: point a client at <see cref="Dsn"/>, then assert on what
/// arrived (<see cref="Events"/>, <see cref="WaitForEventAsync(SentryId, TimeSpan, CancellationToken)"/>) and on every
/// request made (<see cref="Requests"/>). <see cref="Faults"/> scripts failures for delivery tests.
/// </summary>
/// <remarks>
/// The <c>WaitFor…</c> methods complete as soon as their condition holds, without polling. They throw
/// <see cref="TimeoutException"/> when it does not hold in time (the message lists what arrived, what was refused and
/// every request), <see cref="OperationCanceledException"/> when canceled, and <see cref="ArgumentOutOfRangeException"/>
/// for a negative timeout other than <see cref="Timeout.InfiniteTimeSpan"/>.
/// </remarks>
/// <example>
/// <code>
/// await using var server = await SentryTestServer.StartAsync();
/// services.AddErrorReporting(options => options.Dsn = server.Dsn);
/// var id = reporter.ReportHandled(exception);
/// var received = await server.WaitForEventAsync(id, TimeSpan.FromSeconds(10));
/// Assert.Equal(true, received.Handled);
/// </code>
/// </example>
public sealed class SentryTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private readonly List<ReceivedRequestInfo> _requests = [];
    private int _sequence;
    private int _disposed;

    private SentryTestServer(WebApplication app, SentryEnvelopeReceiver receiver)
    {
        _app = app;
        Receiver = receiver;
        app.MapPost("/api/{projectId}/envelope/", HandleAsync);
        app.MapFallback("{**path}", HandleAsync); // anything else is refused by the receiver (404, 405), and logged
    }

    /// <summary>Gets the DSN clients use: <c>http://{public_key}[:{secret_key}]@127.0.0.1:{port}/{project_id}</c>.</summary>
    public string Dsn { get; private set; } = "";

    /// <summary>Gets the port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Gets the envelope endpoint, <c>http://127.0.0.1:{port}/api/{project_id}/envelope/</c>.</summary>
    public Uri EnvelopeUri { get; private set; } = null!;

    /// <summary>Gets the public key of <see cref="Dsn"/>.</summary>
    public string PublicKey => Receiver.PublicKey;

    /// <summary>Gets the secret key of <see cref="Dsn"/>, or <see langword="null"/>.</summary>
    public string? SecretKey => Receiver.SecretKey;

    /// <summary>Gets the project id of <see cref="Dsn"/>.</summary>
    public string ProjectId => Receiver.ProjectId;

    /// <summary>Gets the receiver that checks and records the envelopes.</summary>
    public SentryEnvelopeReceiver Receiver { get; }

    /// <summary>Gets the fault script: scripted answers to the next requests.</summary>
    public FaultScript Faults { get; } = new();

    /// <summary>Gets the accepted envelopes, in arrival order.</summary>
    public IReadOnlyList<ReceivedEnvelope> Envelopes => Receiver.Envelopes;

    /// <summary>Gets the received events, in arrival order.</summary>
    public IReadOnlyList<ReceivedEvent> Events => Receiver.Events;

    /// <summary>Gets the received client reports, in arrival order.</summary>
    public IReadOnlyList<ReceivedClientReport> ClientReports => Receiver.ClientReports;

    /// <summary>Gets the requests the receiver refused, in arrival order.</summary>
    public IReadOnlyList<RejectedRequest> Rejections => Receiver.Rejections;

    /// <summary>Gets every request, faulted or not, in the order its outcome was decided (a delayed one after its delay).</summary>
    public IReadOnlyList<ReceivedRequestInfo> Requests => Receiver.Snapshot(_requests);

    /// <summary>Starts a server on 127.0.0.1.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (random port and key, project 42).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server. Dispose it to stop it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SentryTestServerOptions.Port"/> is not between 0 and 65535.</exception>
    /// <exception cref="ArgumentException"><see cref="SentryTestServerOptions.ProjectId"/> is <see langword="null"/> or empty, or contains <c>/</c>.</exception>
    /// <exception cref="IOException">The port is in use.</exception>
    public static async Task<SentryTestServer> StartAsync(SentryTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SentryTestServerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort, nameof(options));
        if (string.IsNullOrEmpty(options.ProjectId) || options.ProjectId.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("The project id must be non-empty and contain no '/'.", nameof(options));
        }

        var publicKey = string.IsNullOrEmpty(options.PublicKey) ? Guid.NewGuid().ToString("N") : options.PublicKey;
        var receiver = new SentryEnvelopeReceiver(publicKey, options.ProjectId, options.SecretKey);

        // An empty builder: no configuration files, environment variables or logging providers of the test's process.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Refusal.MaxEnvelopeBytes;
            kestrel.Listen(IPAddress.Loopback, options.Port);
        });
        var server = new SentryTestServer(builder.Build(), receiver);
        try
        {
            await server._app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var origin = new Uri(server._app.Urls.First());
        var keys = Uri.EscapeDataString(publicKey) + (receiver.SecretKey is { } secret ? ":" + Uri.EscapeDataString(secret) : "");
        (server.Port, server.Dsn) = (origin.Port, $"http://{keys}@{origin.Authority}/{Uri.EscapeDataString(options.ProjectId)}");
        server.EnvelopeUri = new Uri(origin, $"api/{Uri.EscapeDataString(options.ProjectId)}/envelope/");
        return server;
    }

    /// <summary>Waits up to <paramref name="timeout"/> until at least <paramref name="count"/> events have arrived; returns them all.</summary>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return WaitAsync(() => Events is { Count: var arrived } events && arrived >= count ? events : null, $"{count} event(s)", timeout, cancellationToken);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> until the events received so far satisfy <paramref name="condition"/>
    /// (called under a lock each time something is recorded: keep it quick); returns them.
    /// </summary>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(Func<IReadOnlyList<ReceivedEvent>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return WaitAsync(() => Events is var events && condition(events) ? events : null, "events satisfying the condition", timeout, cancellationToken);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> until the event whose payload or envelope header has the <c>event_id</c>
    /// <paramref name="eventId"/> (32 hexadecimal characters or a hyphenated GUID, in any case) has arrived; returns it.
    /// </summary>
    public Task<ReceivedEvent> WaitForEventAsync(string eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        var expected = Guid.TryParse(eventId, out var id) ? id : (Guid?)null;
        bool Matches(string? received) => received is not null && (Guid.TryParse(received, out var guid) ? guid == expected : string.Equals(received, eventId, StringComparison.OrdinalIgnoreCase));
        return WaitAsync(() => Events.FirstOrDefault(e => Matches(e.EventId) || Matches(e.EnvelopeEventId)), $"event {eventId}", timeout, cancellationToken);
    }

    /// <summary>Waits up to <paramref name="timeout"/> until the event with the id a report call returned has arrived; returns it.</summary>
    /// <exception cref="ArgumentException"><paramref name="eventId"/> is <see cref="SentryId.Empty"/>: the report was not accepted, so no event will arrive.</exception>
    public Task<ReceivedEvent> WaitForEventAsync(SentryId eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
        => eventId == SentryId.Empty
            ? throw new ArgumentException("The event id is SentryId.Empty: the report was not accepted, so no event will arrive.", nameof(eventId))
            : WaitForEventAsync(eventId.ToString(), timeout, cancellationToken);

    /// <summary>
    /// Waits up to <paramref name="timeout"/> until the client reports received so far satisfy <paramref name="condition"/>
    /// (for example <c>reports => reports.Sum(r => r.Quantity("queue_overflow")) >= 3</c>; called under a lock each time
    /// something is recorded: keep it quick); returns them.
    /// </summary>
    public Task<IReadOnlyList<ReceivedClientReport>> WaitForClientReportsAsync(
        Func<IReadOnlyList<ReceivedClientReport>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return WaitAsync(() => ClientReports is var reports && condition(reports) ? reports : null, "client reports satisfying the condition", timeout, cancellationToken);
    }

    /// <summary>Waits up to <paramref name="timeout"/> until at least <paramref name="count"/> requests are in <see cref="Requests"/>; returns them all.</summary>
    public Task<IReadOnlyList<ReceivedRequestInfo>> WaitForRequestsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return WaitAsync(() => Requests is { Count: var arrived } requests && arrived >= count ? requests : null, $"{count} request(s)", timeout, cancellationToken);
    }

    /// <summary>Forgets everything recorded and the request log. The fault script is kept (see <see cref="FaultScript.Clear"/>).</summary>
    public void Clear()
    {
        lock (Receiver.Gate)
        {
            Receiver.Clear();
            _requests.Clear();
        }
    }

    /// <summary>Stops the server: hung and delayed requests are aborted, then Kestrel shuts down.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections still open after the timeout were aborted.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var sinceStart = TimeProvider.System.GetElapsedTime(_started);
        var result = await Receiver.ReceiveAsync(context).ConfigureAwait(false);
        var request = new ReceivedRequestInfo(sequence, result.ReceivedAt, sinceStart, result.Method, result.Path, result.EventId, result.BodyLength);
        if (result.Disconnected is not null)
        {
            Log(request with { Outcome = RequestOutcome.Aborted, Detail = result.Disconnected });
            return;
        }

        FaultResponse? fault;
        try
        {
            fault = Faults.Next(request);
        }
        catch (Exception exception)
        {
            var detail = $"the fault handler threw {exception.GetType().Name}: {exception.Message}";
            Log(request with { Outcome = RequestOutcome.Answered, StatusCode = 500, Detail = detail });
            await SentryEnvelopeReceiver.AnswerAsync(context, 500, null, detail, []).ConfigureAwait(false);
            return;
        }

        // Delays and hangs end when the server stops as well as when the client goes away.
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            if (fault is { Delay.Ticks: > 0, Kind: not FaultResponse.FaultKind.Hang })
            {
                try
                {
                    await Task.Delay(fault.Delay, aborted.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    var why = _stopping.IsCancellationRequested ? "the server stopped" : "the client went away";
                    Log(request with { Outcome = RequestOutcome.Aborted, Fault = fault, Detail = $"{why} during the delay of {fault}" });
                    context.Abort();
                    return;
                }
            }

            await AnswerAsync(context, result, request with { Fault = fault }, aborted.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The client went away while the answer was written, or a hang ended; the request was already logged.
            context.Abort();
        }
    }

    /// <summary>Answers as the fault says. Records and logs first: once the client has its answer, the test sees the request.</summary>
    private async Task AnswerAsync(HttpContext context, ReceiveResult result, ReceivedRequestInfo request, CancellationToken aborted)
    {
        var fault = request.Fault;
        switch (fault?.Kind ?? FaultResponse.FaultKind.Normal)
        {
            case FaultResponse.FaultKind.Normal:
                Log(request with { Outcome = RequestOutcome.Answered, StatusCode = result.StatusCode, Recorded = result.Envelope is not null, Detail = result.Detail }, result);
                await SentryEnvelopeReceiver.AnswerAsync(context, result.StatusCode, result.EventId, result.Detail, fault?.Headers ?? []).ConfigureAwait(false);
                break;

            case FaultResponse.FaultKind.Status:
                await AnswerStatusAsync(context, result, request, fault!).ConfigureAwait(false);
                break;

            case FaultResponse.FaultKind.CloseConnection:
                Log(request with { Outcome = RequestOutcome.Aborted, Detail = "connection closed without a response (injected)" });
                context.Abort();
                break;

            case FaultResponse.FaultKind.Hang:
                Log(request with { Outcome = RequestOutcome.Hung, Detail = "never answered (injected)" });
                await Task.Delay(Timeout.InfiniteTimeSpan, aborted).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Answers an injected status: a 200 for a valid envelope records it; any other status records nothing.</summary>
    private async Task AnswerStatusAsync(HttpContext context, ReceiveResult result, ReceivedRequestInfo request, FaultResponse fault)
    {
        var status = fault.StatusCode;
        var recorded = status == StatusCodes.Status200OK && result.Envelope is not null;
        var detail = recorded ? null : result.Envelope is not null ? "refused by an injected fault" : $"not recorded, the receiver refused it: {result.Detail}";
        Log(request with { Outcome = RequestOutcome.Answered, StatusCode = status, Recorded = recorded, Detail = detail }, recorded ? result : null);
        await SentryEnvelopeReceiver.AnswerAsync(context, status, result.EventId, $"injected fault: HTTP {status}", fault.Headers, fault.Body).ConfigureAwait(false);
    }

    /// <summary>Logs a request and, given its result, records it under the same lock: a wait that wakes finds both.</summary>
    private void Log(ReceivedRequestInfo request, ReceiveResult? recordFirst = null)
    {
        lock (Receiver.Gate)
        {
            if (recordFirst is not null)
            {
                Receiver.Record(recordFirst);
            }

            _requests.Add(request);
            Receiver.Changed();
        }
    }

    private Task<T> WaitAsync<T>(Func<T?> probe, string waitedFor, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
        => Receiver.WaitAsync(probe, timeout, () => Describe(waitedFor, timeout), cancellationToken);

    /// <summary>Describes what arrived and the last requests (a refused one with the reason it was given), for timeout messages.</summary>
    private string Describe(string waitedFor, TimeSpan timeout)
    {
        var (events, requests) = (Events, Requests);
        return string.Join(
            System.Environment.NewLine,
            [
                $"Timed out after {timeout} waiting for {waitedFor} at the Sentry test server (project {ProjectId}).",
                $"Received {events.Count} event(s){(events.Count > 10 ? ", the last 10" : "")}:", .. events.TakeLast(10).Select(e => $"  - {e}"),
                $"Requests: {requests.Count}{(requests.Count > 20 ? ", the last 20" : "")}:", .. requests.TakeLast(20).Select(r => $"  - {r}"),
                $"Queued faults not used: {Faults.PendingCount}.",
            ]);
    }
}
