using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using ErrorReporting.Testing.Internal;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Abstractions;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

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

    private readonly KestrelServer _server;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly long _started;
    private readonly object _gate = new();
    private readonly List<ReceivedRequestInfo> _requests = [];
    private readonly ConditionWaiters _requestWaiters;
    private int _sequence;
    private int _disposed;

    private SentryTestServer(KestrelServer server, SentryEnvelopeReceiver receiver)
    {
        _server = server;
        Receiver = receiver;
        Faults = new FaultScript();
        _requestWaiters = new ConditionWaiters(_gate);
        _started = _time.GetTimestamp();
        receiver.DescribeMore = DescribeRequests;
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
    public FaultScript Faults { get; }

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

        var kestrelOptions = new KestrelServerOptions
        {
            AddServerHeader = false,
            ApplicationServices = EmptyServiceProvider.Instance,
        };
        kestrelOptions.Limits.MaxRequestBodySize = null; // the receiver enforces Sentry's limits itself
        kestrelOptions.Listen(IPAddress.Loopback, options.Port);
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        var kestrel = new KestrelServer(Options.Create(kestrelOptions), transport, NullLoggerFactory.Instance);
        var server = new SentryTestServer(kestrel, receiver);
        try
        {
            await kestrel.StartAsync(new Application(server.HandleAsync), cancellationToken).ConfigureAwait(false);
            var address = kestrel.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel did not report the address it listens on.");
            server.Port = new Uri(address).Port;
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
            _requestWaiters.CheckAll();
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
                await _server.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open after the timeout were aborted.
            }
        }

        _server.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Handles a request: synchronously when the body is already buffered, there is no fault to apply and the answer
    /// fits the response buffer (the usual case); otherwise it continues asynchronously.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Task HandleAsync(HttpContext context)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var sinceStart = _time.GetElapsedTime(_started);
        var receiving = Receiver.ReceiveAsync(context);
        return receiving.IsCompletedSuccessfully
            ? RespondAsync(context, sequence, sinceStart, receiving.Result)
            : HandleRestAsync(context, sequence, sinceStart, receiving);
    }

    private async Task HandleRestAsync(HttpContext context, int sequence, TimeSpan sinceStart, ValueTask<ReceiveResult> receiving)
    {
        var result = await receiving.ConfigureAwait(false);
        await RespondAsync(context, sequence, sinceStart, result).ConfigureAwait(false);
    }

    /// <summary>Logs the request and answers it: normally (synchronously when the write completes at once), or as the next fault says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Task RespondAsync(HttpContext context, int sequence, TimeSpan sinceStart, ReceiveResult result)
    {
        var request = new ReceivedRequestInfo(sequence, result.ReceivedAt, sinceStart, result.Method, result.Path, result.EventId, result.BodyLength);
        if (result.ClientDisconnected)
        {
            Log(request.Complete(RequestOutcome.Aborted, null, null, recorded: false, result.Detail));
            return Task.CompletedTask;
        }

        FaultResponse? fault;
        try
        {
            fault = Faults.Next(request);
        }
        catch (Exception exception)
        {
            var detail = $"the fault handler threw {exception.GetType().Name}: {exception.Message}";
            fault = FaultResponse.Status(StatusCodes.Status500InternalServerError, SentryEnvelopeReceiver.JsonObject("detail", detail));
        }

        if (fault is not null && (fault.Kind != FaultResponse.FaultKind.Normal || fault.Delay > TimeSpan.Zero))
        {
            return ApplyFaultAsync(context, result, request, fault);
        }

        // Record and log before answering: once the client has its response, the test sees the request.
        Receiver.Record(result);
        Log(request.Complete(RequestOutcome.Answered, result.StatusCode, fault, result.Accepted, result.Detail));
        Task writing;
        try
        {
            writing = SentryEnvelopeReceiver.WriteResponseAsync(context, result, fault?.Headers, context.RequestAborted);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        return writing.IsCompletedSuccessfully ? Task.CompletedTask : AbortIfWriteFailsAsync(context, writing);
    }

    private static async Task AbortIfWriteFailsAsync(HttpContext context, Task writing)
    {
        try
        {
            await writing.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The client went away while the response was written; the request was already logged.
            context.Abort();
        }
    }

    /// <summary>Applies a fault other than an immediate normal answer: a delay, a status, a closed connection or a hang.</summary>
    private async Task ApplyFaultAsync(HttpContext context, ReceiveResult result, ReceivedRequestInfo request, FaultResponse fault)
    {
        // Delays and hangs end when the server stops as well as when the client goes away.
        var kind = fault.Kind;
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var token = aborted.Token;
        if (fault.Delay > TimeSpan.Zero && kind != FaultResponse.FaultKind.Hang)
        {
            try
            {
                await Task.Delay(fault.Delay, _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                var why = _stopping.IsCancellationRequested ? "the server stopped" : "the client went away";
                Log(request.Complete(RequestOutcome.Aborted, null, fault, recorded: false, $"{why} during the delay of {fault}"));
                context.Abort();
                return;
            }
        }

        try
        {
            switch (kind)
            {
                case FaultResponse.FaultKind.Normal:
                    // Record and log before answering: once the client has its response, the test sees the request.
                    Receiver.Record(result);
                    Log(request.Complete(RequestOutcome.Answered, result.StatusCode, fault, result.Accepted, result.Detail));
                    await SentryEnvelopeReceiver.WriteResponseAsync(context, result, fault.Headers, token).ConfigureAwait(false);
                    break;

                case FaultResponse.FaultKind.Status:
                    await AnswerStatusAsync(context, result, request, fault, token).ConfigureAwait(false);
                    break;

                case FaultResponse.FaultKind.CloseConnection:
                    Log(request.Complete(RequestOutcome.Aborted, null, fault, recorded: false, "connection closed without a response (injected)"));
                    context.Abort();
                    break;

                case FaultResponse.FaultKind.Hang:
                    Log(request.Complete(RequestOutcome.Hung, null, fault, recorded: false, "never answered (injected)"));
                    try
                    {
                        await Task.Delay(Timeout.InfiniteTimeSpan, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // The client gave up, or the server is stopping.
                    }

                    context.Abort();
                    break;
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The client went away while the response was written; the request was already logged.
            context.Abort();
        }
    }

    private async Task AnswerStatusAsync(HttpContext context, ReceiveResult result, ReceivedRequestInfo request, FaultResponse fault, CancellationToken token)
    {
        var status = fault.StatusCode;
        var recorded = status == StatusCodes.Status200OK && result.Accepted;
        if (recorded)
        {
            Receiver.RecordAccepted(result);
        }

        var body = fault.Body;
        if (body is null)
        {
            body = status == StatusCodes.Status200OK
                ? (result.EventId is { } id ? SentryEnvelopeReceiver.JsonObject("id", id) : "{}")
                : SentryEnvelopeReceiver.JsonObject("detail", $"injected fault: HTTP {status}");
        }

        var trimmed = body.TrimStart();
        var contentType = trimmed.StartsWith('{') || trimmed.StartsWith('[') ? "application/json" : "text/plain; charset=utf-8";
        var detail = recorded ? null : result.Accepted ? "refused by an injected fault" : $"not recorded, the receiver refused it: {result.Detail}";
        Log(request.Complete(RequestOutcome.Answered, status, fault, recorded, detail));
        await SentryEnvelopeReceiver.WriteAsync(context.Response, status, contentType, body, fault.Headers, token).ConfigureAwait(false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Log(ReceivedRequestInfo request)
    {
        lock (_gate)
        {
            _requests.Add(request);
            _requestWaiters.CheckAll();
        }
    }

    private string DescribeRequests()
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            text.Append("Server requests: ").Append(_requests.Count).Append(_requests.Count > 0 ? ":" : ".").AppendLine();
            var skip = Math.Max(0, _requests.Count - MaxListedInMessages);
            if (skip > 0)
            {
                text.Append("  … ").Append(skip).Append(" earlier").AppendLine();
            }

            for (var i = skip; i < _requests.Count; i++)
            {
                text.Append("  - ").Append(_requests[i]).AppendLine();
            }
        }

        var pending = Faults.PendingCount;
        if (pending > 0)
        {
            text.Append("Queued faults not used: ").Append(pending).Append('.').AppendLine();
        }

        return text.ToString();
    }

    /// <summary>
    /// The application Kestrel calls. Like ASP.NET Core's own host, it keeps one <see cref="DefaultHttpContext"/> per
    /// connection (in Kestrel's <see cref="IHostContextContainer{TContext}"/>) and reinitializes it for each request.
    /// </summary>
    private sealed class Application(RequestDelegate handler) : IHttpApplication<HttpContext>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public HttpContext CreateContext(IFeatureCollection contextFeatures)
        {
            if (contextFeatures is not IHostContextContainer<HttpContext> container)
            {
                return new DefaultHttpContext(contextFeatures);
            }

            if (container.HostContext is DefaultHttpContext reused)
            {
                reused.Initialize(contextFeatures);
                return reused;
            }

            var context = new DefaultHttpContext(contextFeatures);
            container.HostContext = context;
            return context;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public Task ProcessRequestAsync(HttpContext context) => handler(context);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void DisposeContext(HttpContext context, Exception? exception)
        {
            if (context is DefaultHttpContext defaultContext)
            {
                defaultContext.Uninitialize();
            }
        }
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
