using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ErrorReporting.Testing.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Testing;

/// <summary>
/// A Sentry-compatible server on 127.0.0.1 for tests: point a client at <see cref="Dsn"/>, then assert on what
/// arrived (<see cref="Events"/>, <see cref="WaitForEventAsync(SentryId, TimeSpan, CancellationToken)"/>) and
/// on every request made (<see cref="Requests"/>). <see cref="Faults"/> scripts failures for delivery tests.
/// </summary>
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
    private const int MaxListedInMessages = 20;
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private readonly object _gate = new();
    private readonly List<ReceivedRequestInfo> _requests = [];
    private readonly ConditionWaiters _requestWaiters;
    private int _sequence;
    private int _disposed;

    private SentryTestServer(WebApplication app, SentryEnvelopeReceiver receiver)
    {
        _app = app;
        Receiver = receiver;
        _requestWaiters = new ConditionWaiters(_gate);
        receiver.DescribeMore = DescribeRequests;
        app.MapPost("/api/{projectId}/envelope/", HandleAsync);
        app.MapFallback("{**path}", HandleAsync); // anything else is refused by the receiver (404, 405), and logged
    }

    /// <summary>Gets the DSN clients use: <c>http://{public_key}@127.0.0.1:{port}/{project_id}</c> (with <c>:{secret_key}</c> after the public key when there is one).</summary>
    public string Dsn { get; private set; } = "";

    /// <summary>Gets the port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Gets the server's base address, <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

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

    /// <summary>Gets the accepted envelopes, in arrival order (see <see cref="SentryEnvelopeReceiver.Envelopes"/>).</summary>
    public IReadOnlyList<ReceivedEnvelope> Envelopes => Receiver.Envelopes;

    /// <summary>Gets the received events, in arrival order (see <see cref="SentryEnvelopeReceiver.Events"/>).</summary>
    public IReadOnlyList<ReceivedEvent> Events => Receiver.Events;

    /// <summary>Gets the received client reports, in arrival order (see <see cref="SentryEnvelopeReceiver.ClientReports"/>).</summary>
    public IReadOnlyList<ReceivedClientReport> ClientReports => Receiver.ClientReports;

    /// <summary>Gets the requests the receiver refused (see <see cref="SentryEnvelopeReceiver.Rejections"/>).</summary>
    public IReadOnlyList<RejectedRequest> Rejections => Receiver.Rejections;

    /// <summary>
    /// Gets every request received, faulted or not, in the order their outcome was decided (a delayed request is
    /// logged after its delay; a hung one when it starts hanging). A request that is still being handled is not listed.
    /// </summary>
    public IReadOnlyList<ReceivedRequestInfo> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    /// <summary>
    /// Starts a server on 127.0.0.1.
    /// </summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (random port and key, project 42).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server. Dispose it to stop it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SentryTestServerOptions.Port"/> is not between 0 and 65535.</exception>
    /// <exception cref="ArgumentException"><see cref="SentryTestServerOptions.ProjectId"/> is <see langword="null"/> or empty, or contains <c>/</c>.</exception>
    /// <exception cref="IOException">The port is in use.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the server started.</exception>
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
            server.Port = new Uri(server._app.Urls.First()).Port;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var port = server.Port.ToString(CultureInfo.InvariantCulture);
        var keys = Uri.EscapeDataString(publicKey) + (receiver.SecretKey is { } secret ? ":" + Uri.EscapeDataString(secret) : "");
        server.Dsn = $"http://{keys}@127.0.0.1:{port}/{Uri.EscapeDataString(options.ProjectId)}";
        server.BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        server.EnvelopeUri = new Uri(server.BaseAddress, $"api/{Uri.EscapeDataString(options.ProjectId)}/envelope/");
        return server;
    }

    /// <inheritdoc cref="SentryEnvelopeReceiver.WaitForEventsAsync(int, TimeSpan, CancellationToken)"/>
    public Task<IReadOnlyList<ReceivedEvent>> WaitForEventsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Receiver.WaitForEventsAsync(count, timeout, cancellationToken);

    /// <inheritdoc cref="SentryEnvelopeReceiver.WaitForEventAsync(string, TimeSpan, CancellationToken)"/>
    public Task<ReceivedEvent> WaitForEventAsync(string eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Receiver.WaitForEventAsync(eventId, timeout, cancellationToken);

    /// <inheritdoc cref="SentryEnvelopeReceiver.WaitForEventAsync(SentryId, TimeSpan, CancellationToken)"/>
    public Task<ReceivedEvent> WaitForEventAsync(SentryId eventId, TimeSpan timeout, CancellationToken cancellationToken = default)
        => Receiver.WaitForEventAsync(eventId, timeout, cancellationToken);

    /// <inheritdoc cref="SentryEnvelopeReceiver.WaitForClientReportsAsync(Func{IReadOnlyList{ReceivedClientReport}, bool}, TimeSpan, CancellationToken)"/>
    public Task<IReadOnlyList<ReceivedClientReport>> WaitForClientReportsAsync(
        Func<IReadOnlyList<ReceivedClientReport>, bool> condition,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
        => Receiver.WaitForClientReportsAsync(condition, timeout, cancellationToken);

    /// <summary>
    /// Waits until at least <paramref name="count"/> requests are in <see cref="Requests"/> (faulted or not).
    /// </summary>
    /// <param name="count">The number of requests to wait for.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>All requests logged so far (at least <paramref name="count"/>).</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="count"/> is negative, or <paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>,
    /// or the wait is needed and <paramref name="timeout"/> is longer than 4,294,967,294 milliseconds (about 49.7 days).
    /// </exception>
    /// <exception cref="TimeoutException">Fewer requests arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<IReadOnlyList<ReceivedRequestInfo>> WaitForRequestsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return _requestWaiters.WaitAsync<IReadOnlyList<ReceivedRequestInfo>>(
            () => _requests.Count >= count ? _requests.ToArray() : null,
            timeout,
            () => Receiver.Describe($"{count} request(s)", timeout),
            cancellationToken);
    }

    /// <summary>
    /// Forgets everything recorded: the receiver's envelopes, events, client reports and rejections, and the request
    /// log. The fault script is kept (see <see cref="FaultScript.Clear"/>).
    /// </summary>
    public void Clear()
    {
        Receiver.Clear();
        lock (_gate)
        {
            _requests.Clear();
            _requestWaiters.Changed();
        }
    }

    /// <summary>
    /// Stops the server: hung and delayed requests are aborted, then Kestrel shuts down.
    /// </summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        using (var timeout = new CancellationTokenSource(s_stopTimeout))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open after the timeout were aborted.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Handles every request: the receiver checks it, then the next fault (if any) decides how it is answered.</summary>
    private async Task HandleAsync(HttpContext context)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var sinceStart = TimeProvider.System.GetElapsedTime(_started);
        var result = await Receiver.ReceiveAsync(context).ConfigureAwait(false);
        var request = new ReceivedRequestInfo(sequence, result.ReceivedAt, sinceStart, result.Method, result.Path, result.EventId, result.BodyLength);
        if (result.ClientDisconnected)
        {
            Log(request.Complete(RequestOutcome.Aborted, null, null, recorded: false, result.Detail));
            return;
        }

        FaultResponse? fault;
        try
        {
            fault = Faults.Next(request);
        }
        catch (Exception exception)
        {
            var detail = new Dictionary<string, string> { ["detail"] = $"the fault handler threw {exception.GetType().Name}: {exception.Message}" };
            fault = FaultResponse.Status(StatusCodes.Status500InternalServerError, JsonSerializer.Serialize(detail, AnswerJsonContext.Default.DictionaryStringString));
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
                    Log(request.Complete(RequestOutcome.Aborted, null, fault, recorded: false, $"{why} during the delay of {fault}"));
                    context.Abort();
                    return;
                }
            }

            await AnswerAsync(context, result, request, fault, aborted.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The client went away while the response was written; the request was already logged.
            context.Abort();
        }
    }

    /// <summary>Answers normally (record, log, answer: once the client has its answer, the test sees the request) or as the fault says.</summary>
    private async Task AnswerAsync(HttpContext context, ReceiveResult result, ReceivedRequestInfo request, FaultResponse? fault, CancellationToken aborted)
    {
        switch (fault?.Kind ?? FaultResponse.FaultKind.Normal)
        {
            case FaultResponse.FaultKind.Normal:
                Receiver.Record(result);
                Log(request.Complete(RequestOutcome.Answered, result.StatusCode, fault, result.Accepted, result.Detail));
                await SentryEnvelopeReceiver.AnswerAsync(context, result, fault?.Headers ?? []).ConfigureAwait(false);
                break;

            case FaultResponse.FaultKind.Status:
                await AnswerStatusAsync(context, result, request, fault!).ConfigureAwait(false);
                break;

            case FaultResponse.FaultKind.CloseConnection:
                Log(request.Complete(RequestOutcome.Aborted, null, fault, recorded: false, "connection closed without a response (injected)"));
                context.Abort();
                break;

            case FaultResponse.FaultKind.Hang:
                Log(request.Complete(RequestOutcome.Hung, null, fault, recorded: false, "never answered (injected)"));
                await Task.Delay(Timeout.InfiniteTimeSpan, aborted).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Answers an injected status: a 200 for a valid envelope records it; any other answer records nothing.</summary>
    private async Task AnswerStatusAsync(HttpContext context, ReceiveResult result, ReceivedRequestInfo request, FaultResponse fault)
    {
        var status = fault.StatusCode;
        var recorded = status == StatusCodes.Status200OK && result.Accepted;
        if (recorded)
        {
            Receiver.RecordAccepted(result);
        }

        var detail = recorded ? null : result.Accepted ? "refused by an injected fault" : $"not recorded, the receiver refused it: {result.Detail}";
        Log(request.Complete(RequestOutcome.Answered, status, fault, recorded, detail));
        if (fault.Body is null)
        {
            var answer = status == StatusCodes.Status200OK
                ? (result.EventId is { } id ? new Dictionary<string, string> { ["id"] = id } : [])
                : new Dictionary<string, string> { ["detail"] = $"injected fault: HTTP {status}" };
            await SentryEnvelopeReceiver.AnswerAsync(context, status, answer, fault.Headers).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = status;
        foreach (var (name, value) in fault.Headers)
        {
            context.Response.Headers.Append(name, value);
        }

        var body = fault.Body.TrimStart();
        context.Response.ContentType = body.StartsWith('{') || body.StartsWith('[') ? "application/json" : "text/plain; charset=utf-8";
        await context.Response.WriteAsync(fault.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private void Log(ReceivedRequestInfo request)
    {
        lock (_gate)
        {
            _requests.Add(request);
            _requestWaiters.Changed();
        }
    }

    private string DescribeRequests()
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            SentryEnvelopeReceiver.AppendList(text, $"Server requests: {_requests.Count}", _requests, MaxListedInMessages);
        }

        if (Faults.PendingCount is > 0 and var pending)
        {
            text.Append("Queued faults not used: ").Append(pending).AppendLine(".");
        }

        return text.ToString();
    }
}
