using System.Buffers;
using ErrorReporting.Diagnostics;
using ErrorReporting.Serialization;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Delivery;

/// <summary>
/// The sending half of the background worker: takes the oldest envelope from the store and delivers it, in order.
/// <list type="bullet">
/// <item>2xx: delivered, removed.</item>
/// <item>Rate limited (429, <c>X-Sentry-Rate-Limits</c>, <c>Retry-After</c>): the envelope stays and is sent again when the limit expires.</item>
/// <item>No response, 5xx, 408: the envelope stays; retried after an exponential backoff with jitter.</item>
/// <item>Other statuses (400, 401, 403, 413, …): dropped and counted as <c>send_error</c>, with the server's reason logged.</item>
/// </list>
/// Pending client reports ride along with the next envelope, or go alone when a flush asks for them.
/// </summary>
internal sealed class EnvelopeSender
{
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
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly object _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _clientReportRequest;
    private DateTimeOffset _retryAt;
    private DateTimeOffset _loggedLimit;

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

                if (_store.TryPeek(out var envelope))
                {
                    await SendAsync(envelope, stopping).ConfigureAwait(false);
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
            // Shutting down.
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

    private async Task SendAsync(PendingEnvelope envelope, CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        var category = envelope.HasEvent ? RateLimits.ErrorCategory : RateLimits.InternalCategory;
        var waitUntil = _rateLimits.BlockedUntil(category, now) is { } limit && limit > _retryAt ? limit : _retryAt;
        if (waitUntil > now)
        {
            await WaitUntilAsync(waitUntil, stopping).ConfigureAwait(false);
            return;
        }

        var clientReport = _sendClientReports ? _counters.TakeClientReport() : null;
        Task<TransportResponse> sending;
        try
        {
            sending = SendOnceAsync(envelope.EventId, envelope.Items, clientReport, now, stopping);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The cache file vanished or cannot be read: nothing left to send.
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
            return;
        }

        var response = await sending.ConfigureAwait(false);
        now = _time.GetUtcNow();
        if (_rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, now)
            && _rateLimits.BlockedUntil(category, now) is { } until && until != _loggedLimit)
        {
            _loggedLimit = until;
            Log.RateLimited(_logger, until);
        }

        if (response.IsSuccess)
        {
            _backoff.Reset();
            _retryAt = default;
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

        if (response.IsRetryable)
        {
            if (response.StatusCode != 429)
            {
                var delay = _backoff.NextDelay();
                _retryAt = now + delay;
                _counters.Retry();
                Log.SendFailed(_logger, Describe(response), _backoff.Failures, (long)delay.TotalMilliseconds);
            }

            return;
        }

        // A definitive rejection (4xx other than 408/429, or an unexpected 1xx/3xx): sending it again cannot help.
        _backoff.Reset();
        _retryAt = default;
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

        var response = await SendOnceAsync(SentryEventId.Empty, default, clientReport, now, stopping).ConfigureAwait(false);
        _rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, _time.GetUtcNow());
        if (!response.IsSuccess && response.IsRetryable)
        {
            _counters.RestoreClientReport(clientReport);
        }

        return response.IsSuccess;
    }

    private Task<TransportResponse> SendOnceAsync(SentryEventId eventId, ReadOnlySpan<byte> items, long[]? clientReport, DateTimeOffset now, CancellationToken stopping)
    {
        _buffer.ResetWrittenCount();
        EnvelopeWriter.WriteHeader(_buffer, eventId, now, _sdk.Span);
        _buffer.Write(items);
        if (clientReport is not null)
        {
            EnvelopeWriter.WriteClientReport(_buffer, clientReport, now);
        }

        return _transport.SendAsync(_buffer.WrittenMemory, stopping);
    }

    private void Complete(PendingEnvelope envelope)
    {
        _store.Remove(envelope);
        _onProgress();
    }

    private async Task WaitUntilAsync(DateTimeOffset until, CancellationToken stopping)
    {
        var delay = until - _time.GetUtcNow();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
        }
    }

    private static string Describe(TransportResponse response)
        => response.Failure is { } failure ? $"{failure.GetType().Name}: {failure.Message}" : $"HTTP {response.StatusCode}";
}
