using System.Buffers;
using ErrorReporting.Diagnostics;
using ErrorReporting.Serialization;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Delivery;

/// <summary>
/// The sending half of the background worker. It launches sends of the oldest envelopes in the store, several at a
/// time so that round trips overlap, and handles each response. The number under way starts at one and grows by one
/// per success up to <see cref="MaxInFlight"/>; any failure or rate limit brings it back to one (like TCP's slow start),
/// so an outage or a new rate limit meets a single request, while a healthy burst is sent four at a time.
/// <list type="bullet">
/// <item>2xx: delivered, removed.</item>
/// <item>Rate limited (429, <c>X-Sentry-Rate-Limits</c>, <c>Retry-After</c>): the envelope stays; nothing is launched until the limit expires.</item>
/// <item>No response, 5xx, 408: the envelope stays; nothing is launched until an exponential backoff with jitter has passed.</item>
/// <item>Other statuses (400, 401, 403, 413, …): dropped and counted as <c>send_error</c>, with the server's reason logged.</item>
/// </list>
/// Launching always starts from the oldest envelope, so an envelope that failed is sent again before anything newer.
/// Pending client reports ride along with one send at a time, or go alone when a flush asks for them.
/// </summary>
internal sealed class EnvelopeSender
{
    /// <summary>How many sends may be under way at once.</summary>
    internal const int MaxInFlight = 4;

    private readonly IEnvelopeStore _store;
    private readonly IEnvelopeTransport _transport;
    private readonly RateLimits _rateLimits;
    private readonly ReporterCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _sendClientReports;
    private readonly ReadOnlyMemory<byte> _sdk;
    private readonly Action _onProgress;
    private readonly RetryBackoff _backoff = new();
    private readonly List<Send> _inFlight = new(MaxInFlight);
    private readonly List<PendingEnvelope> _oldest = new(2 * MaxInFlight);
    private readonly Stack<ArrayBufferWriter<byte>> _buffers = new();
    private readonly object _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _clientReportRequest;
    private DateTimeOffset _retryAt;
    private DateTimeOffset _loggedLimit;
    private int _window = 1;

    public EnvelopeSender(
        IEnvelopeStore store,
        IEnvelopeTransport transport,
        RateLimits rateLimits,
        ReporterCounters counters,
        TimeProvider time,
        ILogger logger,
        bool sendClientReports,
        ReadOnlyMemory<byte> sdk,
        Action onProgress)
    {
        _store = store;
        _transport = transport;
        _rateLimits = rateLimits;
        _counters = counters;
        _time = time;
        _logger = logger;
        _sendClientReports = sendClientReports;
        _sdk = sdk;
        _onProgress = onProgress;
    }

    /// <summary>Wakes the sender: an envelope was added, or something else changed.</summary>
    public void Wake()
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            wake = _wake;
            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    /// <summary>
    /// Asks for pending client reports to be sent on their own once no envelope waits. Completes with
    /// <see langword="true"/> when sent (or nothing was pending).
    /// </summary>
    public Task<bool> RequestClientReportAsync()
    {
        if (!_sendClientReports)
        {
            return Task.FromResult(true);
        }

        Task<bool> request;
        lock (_gate)
        {
            _clientReportRequest ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            request = _clientReportRequest.Task;
        }

        Wake();
        return request;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Task wake;
                lock (_gate)
                {
                    wake = _wake.Task;
                }

                var now = _time.GetUtcNow();
                var pausedUntil = PausedUntil(now);
                if (pausedUntil is null)
                {
                    Launch(now, stopping);
                }

                if (_inFlight.Count > 0)
                {
                    // Wait for a response, or (when more could be launched) for a new envelope.
                    var waitFor = new Task[_inFlight.Count + (pausedUntil is null && _inFlight.Count < _window ? 1 : 0)];
                    for (var i = 0; i < _inFlight.Count; i++)
                    {
                        waitFor[i] = _inFlight[i].Response;
                    }

                    if (waitFor.Length > _inFlight.Count)
                    {
                        waitFor[^1] = wake;
                    }

                    await Task.WhenAny(waitFor).ConfigureAwait(false);
                    CompleteFinishedSends(stopping);
                    continue;
                }

                if (pausedUntil is { } until && _store.Count > 0)
                {
                    await Task.Delay(until - now, _time, stopping).ConfigureAwait(false);
                    continue;
                }

                if (_store.Count > 0)
                {
                    continue;
                }

                TaskCompletionSource<bool>? request;
                lock (_gate)
                {
                    request = _clientReportRequest;
                    _clientReportRequest = null;
                }

                if (request is not null)
                {
                    request.TrySetResult(await SendClientReportAsync(stopping).ConfigureAwait(false));
                    continue;
                }

                await wake.WaitAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down; sends under way are canceled with the token.
        }
        finally
        {
            lock (_gate)
            {
                _clientReportRequest?.TrySetResult(false);
                _clientReportRequest = null;
            }
        }
    }

    /// <summary>Gets the time until which nothing may be launched (a rate limit on events, or a retry backoff), or <see langword="null"/>.</summary>
    private DateTimeOffset? PausedUntil(DateTimeOffset now)
    {
        var until = _rateLimits.BlockedUntil(RateLimits.ErrorCategory, now) is { } limit && limit > _retryAt ? limit : _retryAt;
        return until > now ? until : null;
    }

    /// <summary>Launches sends of the oldest envelopes not already under way, up to the current window.</summary>
    private void Launch(DateTimeOffset now, CancellationToken stopping)
    {
        if (_inFlight.Count >= _window)
        {
            return;
        }

        _store.PeekOldest(_oldest, _window + _inFlight.Count);
        foreach (var envelope in _oldest)
        {
            if (_inFlight.Count >= _window)
            {
                break;
            }

            if (envelope.InFlight)
            {
                continue;
            }

            var carriesReport = _sendClientReports && !_inFlight.Exists(s => s.ClientReport is not null);
            var clientReport = carriesReport ? _counters.TakeClientReport() : null;
            var buffer = _buffers.Count > 0 ? _buffers.Pop() : new ArrayBufferWriter<byte>(16 * 1024);
            try
            {
                Frame(buffer, envelope.EventId, envelope.Items, clientReport, now);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The cache file vanished or cannot be read: nothing left to send.
                _buffers.Push(buffer);
                if (clientReport is not null)
                {
                    _counters.RestoreClientReport(clientReport);
                }

                Log.CacheWriteFailed(_logger, exception, envelope.FilePath ?? "(memory)");
                if (envelope.HasEvent)
                {
                    _counters.Drop(DiscardReason.InternalSdkError);
                }

                Complete(envelope);
                continue;
            }

            envelope.InFlight = true;
            _inFlight.Add(new Send(envelope, clientReport, buffer, _transport.SendAsync(buffer.WrittenMemory, stopping)));
        }
    }

    private void CompleteFinishedSends(CancellationToken stopping)
    {
        for (var i = 0; i < _inFlight.Count; i++)
        {
            var send = _inFlight[i];
            if (!send.Response.IsCompleted)
            {
                continue;
            }

            _inFlight.RemoveAt(i--);
            send.Envelope.InFlight = false;
            _buffers.Push(send.Buffer);
            if (send.Response.IsCompletedSuccessfully)
            {
                Handle(send.Envelope, send.ClientReport, send.Response.Result);
            }
            else if (!stopping.IsCancellationRequested)
            {
                // The transport returns failures as results; anything else is a bug: retry like a network failure.
                Handle(send.Envelope, send.ClientReport, TransportResponse.Failed(send.Response.Exception?.InnerException ?? new OperationCanceledException()));
            }
        }
    }

    private void Handle(PendingEnvelope envelope, long[]? clientReport, TransportResponse response)
    {
        var now = _time.GetUtcNow();
        if (_rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, now)
            && _rateLimits.BlockedUntil(RateLimits.ErrorCategory, now) is { } until && until != _loggedLimit)
        {
            _loggedLimit = until;
            Log.RateLimited(_logger, until);
        }

        if (response.IsSuccess)
        {
            _backoff.Reset();
            _window = Math.Min(MaxInFlight, _window + 1);
            if (envelope.HasEvent)
            {
                _counters.Deliver();
                Log.Delivered(_logger, envelope.EventId);
            }

            Complete(envelope);
            return;
        }

        if (clientReport is not null)
        {
            _counters.RestoreClientReport(clientReport);
        }

        _window = 1;
        if (response.IsRetryable)
        {
            // A 429 waits for its rate limit (set above); other failures wait for the backoff, which one failure starts
            // and failures of sends launched before it do not lengthen.
            if (response.StatusCode != 429)
            {
                _counters.Retry();
                if (_retryAt <= now)
                {
                    var delay = _backoff.NextDelay();
                    _retryAt = now + delay;
                    Log.SendFailed(_logger, Describe(response), _backoff.Failures, (long)delay.TotalMilliseconds);
                }
            }

            return;
        }

        // A definitive rejection (4xx other than 408/429, or an unexpected 1xx/3xx): sending it again cannot help.
        if (envelope.HasEvent)
        {
            _counters.Drop(DiscardReason.SendError);
        }

        Log.Rejected(_logger, envelope.EventId, response.StatusCode, response.Detail ?? "no detail");
        Complete(envelope);
    }

    private async Task<bool> SendClientReportAsync(CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        if (_rateLimits.BlockedUntil(RateLimits.InternalCategory, now) is not null || _retryAt > now)
        {
            return false;
        }

        var clientReport = _counters.TakeClientReport();
        if (clientReport is null)
        {
            return true;
        }

        var buffer = _buffers.Count > 0 ? _buffers.Pop() : new ArrayBufferWriter<byte>(1024);
        try
        {
            Frame(buffer, SentryEventId.Empty, default, clientReport, now);
            var response = await _transport.SendAsync(buffer.WrittenMemory, stopping).ConfigureAwait(false);
            _rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, _time.GetUtcNow());
            if (!response.IsSuccess && response.IsRetryable)
            {
                _counters.RestoreClientReport(clientReport);
            }

            return response.IsSuccess;
        }
        finally
        {
            _buffers.Push(buffer);
        }
    }

    private void Frame(ArrayBufferWriter<byte> buffer, SentryEventId eventId, ReadOnlySpan<byte> items, long[]? clientReport, DateTimeOffset now)
    {
        buffer.ResetWrittenCount();
        EnvelopeWriter.WriteHeader(buffer, eventId, now, _sdk.Span);
        buffer.Write(items);
        if (clientReport is not null)
        {
            EnvelopeWriter.WriteClientReport(buffer, clientReport, now);
        }
    }

    private void Complete(PendingEnvelope envelope)
    {
        _store.Remove(envelope);
        _onProgress();
    }

    private static string Describe(TransportResponse response)
        => response.Failure is { } failure ? $"{failure.GetType().Name}: {failure.Message}" : $"HTTP {response.StatusCode}";

    private sealed record Send(PendingEnvelope Envelope, long[]? ClientReport, ArrayBufferWriter<byte> Buffer, Task<TransportResponse> Response);
}
