using System.Buffers;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Delivery;

/// <summary>
/// The sending half of the engine. It launches sends of the oldest envelopes in the store that no rate limit holds
/// back, several at a time so that round trips overlap, and handles each response. The number under way starts at one
/// and grows by one per success up to <see cref="MaxInFlight"/>; any failure or rate limit brings it back to one (like
/// TCP's slow start), so an outage or a new rate limit meets a single request, while a healthy burst is sent four at a time.
/// <list type="bullet">
/// <item>2xx: delivered, removed.</item>
/// <item>Rate limited (429, <c>X-Sentry-Rate-Limits</c>): the envelope stays; envelopes of a limited data category are
/// not launched until the limit expires; other categories keep flowing.</item>
/// <item>No response, 5xx, 408: the envelope stays; nothing is launched until the server's <c>Retry-After</c> or a
/// <see cref="RetryBackoff"/> delay (at most 0.8 s) has passed.</item>
/// <item>Other statuses (400, 401, 403, 413, …): dropped and counted as <c>send_error</c>, with the server's reason logged.</item>
/// </list>
/// Launching always starts from the oldest envelope, so an envelope that failed is sent again before anything newer.
/// The engine's own discards ride along as a client report with one send at a time, or go alone (with the SDK's) when
/// a flush asks for them.
/// </summary>
internal sealed class EnvelopeSender
{
    /// <summary>How many sends may be under way at once.</summary>
    internal const int MaxInFlight = 4;

    /// <summary>How many waiting envelopes the sender looks past a rate-limited one for an envelope it may send.</summary>
    private const int LookAhead = 256;

    private readonly IEnvelopeStore _store;
    private readonly IEnvelopeTransport _transport;
    private readonly RateLimits _rateLimits;
    private readonly DeliveryCounters _counters;
    private readonly Func<PendingEnvelope?> _sdkClientReport;
    private readonly byte[] _standaloneHeader;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _sendClientReports;
    private readonly Action _onProgress;
    private readonly RetryBackoff _backoff = new();
    private readonly List<Send> _inFlight = new(MaxInFlight);
    private readonly List<PendingEnvelope> _oldest = new(LookAhead);
    private readonly Stack<ArrayBufferWriter<byte>> _buffers = new();
    private readonly object _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _clientReportRequest;
    private DateTimeOffset _retryAt;
    private DateTimeOffset _loggedLimit;
    private int _window = 1;

    /// <remarks>
    /// <c>sdkClientReport</c> gets the SDK's pending client report as a serialized envelope, or <see langword="null"/>;
    /// <c>standaloneHeader</c> is the header (naming the SDK) of an envelope that carries only the engine's client report.
    /// </remarks>
    public EnvelopeSender(
        IEnvelopeStore store,
        IEnvelopeTransport transport,
        RateLimits rateLimits,
        DeliveryCounters counters,
        Func<PendingEnvelope?> sdkClientReport,
        byte[] standaloneHeader,
        TimeProvider time,
        ILogger logger,
        bool sendClientReports,
        Action onProgress)
    {
        _store = store;
        _transport = transport;
        _rateLimits = rateLimits;
        _counters = counters;
        _sdkClientReport = sdkClientReport;
        _standaloneHeader = standaloneHeader;
        _time = time;
        _logger = logger;
        _sendClientReports = sendClientReports;
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
    /// Asks for pending client reports (the engine's and the SDK's) to be sent on their own once no envelope waits.
    /// Completes with <see langword="true"/> when sent (or nothing was pending).
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
                DateTimeOffset? waitUntil = _retryAt > now ? _retryAt : Launch(now, stopping);

                if (_inFlight.Count > 0)
                {
                    // Wait for a response, or (when more could be launched) for a new envelope.
                    var canLaunchMore = waitUntil is null && _inFlight.Count < _window;
                    var waitFor = new Task[_inFlight.Count + (canLaunchMore ? 1 : 0)];
                    for (var i = 0; i < _inFlight.Count; i++)
                    {
                        waitFor[i] = _inFlight[i].Response;
                    }

                    if (canLaunchMore)
                    {
                        waitFor[^1] = wake;
                    }

                    await Task.WhenAny(waitFor).ConfigureAwait(false);
                    CompleteFinishedSends(stopping);
                    continue;
                }

                if (_store.Count > 0)
                {
                    if (waitUntil is { } until)
                    {
                        // A retry delay or a rate limit holds everything that waits; a new envelope may be of another category.
                        await Task.WhenAny(Task.Delay(until - now, _time, stopping), wake).ConfigureAwait(false);
                    }

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

    /// <summary>
    /// Launches sends of the oldest envelopes not already under way and not held by a rate limit, up to the current
    /// window. Returns, when nothing could be launched because of rate limits, the earliest time one ends.
    /// </summary>
    private DateTimeOffset? Launch(DateTimeOffset now, CancellationToken stopping)
    {
        if (_inFlight.Count >= _window)
        {
            return null;
        }

        _store.PeekOldest(_oldest, _rateLimits.IsAnyActive(now) ? LookAhead : _window + _inFlight.Count);
        DateTimeOffset? earliestLimitEnd = null;
        var launched = false;
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

            if (_rateLimits.BlockedUntil(envelope.Categories, now) is { } until)
            {
                earliestLimitEnd = earliestLimitEnd is { } earlier && earlier < until ? earlier : until;
                continue;
            }

            launched |= TryLaunch(envelope, now, stopping);
        }

        _oldest.Clear();
        return launched || _inFlight.Count > 0 ? null : earliestLimitEnd;
    }

    private bool TryLaunch(PendingEnvelope envelope, DateTimeOffset now, CancellationToken stopping)
    {
        var carriesReport = _sendClientReports && !_inFlight.Exists(s => s.ClientReport is not null);
        var clientReport = carriesReport ? _counters.TakeClientReport() : null;
        var buffer = _buffers.Count > 0 ? _buffers.Pop() : new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            Frame(buffer, envelope.Header, envelope.Items, clientReport, now);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // The cache file vanished or cannot be read: nothing left to send.
            _buffers.Push(buffer);
            if (clientReport is not null)
            {
                _counters.RestoreClientReport(clientReport);
            }

            Log.CacheWriteFailed(_logger, exception, envelope.FilePath ?? "(memory)");
            _counters.Drop(DiscardReason.InternalSdkError, envelope.Categories);
            Complete(envelope);
            return false;
        }

        envelope.InFlight = true;
        _inFlight.Add(new Send(envelope, clientReport, buffer, _transport.SendAsync(buffer.WrittenMemory, stopping)));
        return true;
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

    private void Handle(PendingEnvelope envelope, DiscardCount[]? clientReport, TransportResponse response)
    {
        var now = _time.GetUtcNow();
        if (_rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, now)
            && _rateLimits.BlockedUntil(envelope.Categories, now) is { } limitedUntil && limitedUntil != _loggedLimit)
        {
            _loggedLimit = limitedUntil;
            Log.RateLimited(_logger, string.Join(",", envelope.Categories.Distinct()), limitedUntil);
        }

        if (response.IsSuccess)
        {
            _backoff.Reset();
            _window = Math.Min(MaxInFlight, _window + 1);
            _counters.Deliver();
            Log.Delivered(_logger, envelope.EventId.ToString());
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
            // A 429 waits for its rate limit (set above), unless the limit does not cover this envelope; other
            // failures wait for the server's Retry-After or the backoff, which one failure starts and failures of sends
            // launched before it do not lengthen.
            if (response.StatusCode == 429 && _rateLimits.BlockedUntil(envelope.Categories, now) is not null)
            {
                return;
            }

            _counters.Retry();
            if (_retryAt <= now)
            {
                var delay = response.ServerRetryDelay(now) ?? _backoff.NextDelay();
                _retryAt = now + delay;
                Log.SendFailed(_logger, response.Describe(), _backoff.Failures, (long)delay.TotalMilliseconds);
            }

            return;
        }

        // A definitive rejection (4xx other than 408/429, or an unexpected 1xx/3xx): sending it again cannot help.
        _counters.Drop(DiscardReason.SendError, envelope.Categories);
        Log.Rejected(_logger, envelope.EventId.ToString(), response.StatusCode, response.Detail ?? "no detail");
        Complete(envelope);
    }

    private async Task<bool> SendClientReportAsync(CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        if (_rateLimits.BlockedUntil([DataCategories.Internal], now) is not null || _retryAt > now)
        {
            return false;
        }

        var ours = _counters.TakeClientReport();
        var theirs = _sdkClientReport();
        if (ours is null && theirs is null)
        {
            return true;
        }

        var buffer = _buffers.Count > 0 ? _buffers.Pop() : new ArrayBufferWriter<byte>(1024);
        try
        {
            Frame(buffer, theirs is null ? _standaloneHeader : theirs.Header, theirs is null ? default : theirs.Items, ours, now);
            var response = await _transport.SendAsync(buffer.WrittenMemory, stopping).ConfigureAwait(false);
            _rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, _time.GetUtcNow());
            if (!response.IsSuccess && response.IsRetryable && ours is not null)
            {
                _counters.RestoreClientReport(ours);
            }

            return response.IsSuccess;
        }
        finally
        {
            theirs?.Dispose();
            _buffers.Push(buffer);
        }
    }

    private static void Frame(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> header, ReadOnlySpan<byte> items, DiscardCount[]? clientReport, DateTimeOffset now)
    {
        buffer.ResetWrittenCount();
        EnvelopeFraming.WriteHeaderLine(buffer, header, now);
        buffer.Write(items);
        if (clientReport is not null)
        {
            EnvelopeFraming.WriteClientReport(buffer, clientReport, now);
        }
    }

    private void Complete(PendingEnvelope envelope)
    {
        _store.Remove(envelope);
        _onProgress();
    }

    private sealed record Send(PendingEnvelope Envelope, DiscardCount[]? ClientReport, ArrayBufferWriter<byte> Buffer, Task<TransportResponse> Response);
}
