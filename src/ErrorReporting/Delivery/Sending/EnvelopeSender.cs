using System.Buffers;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Sentry.Extensibility;

namespace ErrorReporting.Delivery.Sending;

/// <summary>
/// The sending half of the engine: sends the oldest envelopes of the store that no rate limit holds back, at the pace
/// of the <see cref="SendSchedule"/>, and does with each answer exactly what Sentry's transport rules say:
/// <list type="bullet">
/// <item>2xx: delivered.</item>
/// <item>4xx other than 429, and 5xx: discarded, counted as <c>send_error</c> (in the next client report), the
/// server's reason logged once per status; a 5xx also slows the sender down like a failure to connect.</item>
/// <item>429: discarded, not counted in a client report (the server did), never sent again; its rate limits apply.</item>
/// <item>No response (refused, reset, DNS, timeout): the envelope is kept and sent again, first of all, when the
/// schedule's probe goes out. It is the only case in which an envelope is sent twice.</item>
/// </list>
/// <c>X-Sentry-Rate-Limits</c> is read on every answer; envelopes of a limited category wait, unsent, until the limit
/// ends. The engine's discards ride along with an envelope as a client report, or go alone (with the SDK's) when a
/// flush asks or when nothing else is to be sent.
/// </summary>
internal sealed class EnvelopeSender
{
    /// <summary>How long discards may wait for an envelope to ride along with before they go alone.</summary>
    internal static readonly TimeSpan ClientReportDelay = TimeSpan.FromSeconds(10);

    private readonly IEnvelopeStore _store;
    private readonly EnvelopeQueue _queue;
    private readonly IEnvelopeTransport _transport;
    private readonly RateLimits _rateLimits;
    private readonly DeliveryCounters _counters;
    private readonly DropNotices _notices;
    private readonly SendSchedule _schedule;
    private readonly FlushTracker _flush;
    private readonly SdkEnvelopeProcessor _sdk;
    private readonly IDiagnosticLogger? _sdkLogger;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _sendClientReports;
    private readonly string[] _dsnKeys;
    private readonly AsyncSignal _requests = new();
    private readonly List<Send> _inFlight = new(SendSchedule.MaxInFlight);
    private readonly List<PendingEnvelope> _oldest = [];
    private readonly Stack<ArrayBufferWriter<byte>> _buffers = new();
    private readonly HashSet<int> _loggedStatuses = [];
    private readonly object _gate = new();
    private byte[]? _standaloneHeader;
    private TaskCompletionSource<bool>? _clientReportRequest;
    private DateTimeOffset? _clientReportsPendingSince;
    private DateTimeOffset _loggedLimit;
    private SendState _state = SendState.Initial;
    private DateTimeOffset? _nextLook;

    // When the first rate limit that holds stored envelopes back ends (null: none held).
    private DateTimeOffset? _heldUntil;

    public EnvelopeSender(
        IEnvelopeStore store,
        EnvelopeQueue queue,
        IEnvelopeTransport transport,
        RateLimits rateLimits,
        DeliveryCounters counters,
        DropNotices notices,
        SendSchedule schedule,
        FlushTracker flush,
        SdkEnvelopeProcessor sdk,
        IDiagnosticLogger? sdkLogger,
        TimeProvider time,
        ILogger logger,
        bool sendClientReports,
        string[] dsnKeys)
    {
        _store = store;
        _queue = queue;
        _transport = transport;
        _rateLimits = rateLimits;
        _counters = counters;
        _notices = notices;
        _schedule = schedule;
        _flush = flush;
        _sdk = sdk;
        _sdkLogger = sdkLogger;
        _time = time;
        _logger = logger;
        _sendClientReports = sendClientReports;
        _dsnKeys = dsnKeys;
    }

    /// <summary>Gets what the sender last saw of the server.</summary>
    public SendState State => Volatile.Read(ref _state);

    /// <summary>
    /// Gets when the sender will look again by itself (a retry delay, the backlog's pace, the end of a rate limit, the
    /// client report's delay), or <see langword="null"/> while it waits for an answer or for something to send.
    /// </summary>
    internal DateTimeOffset? NextLook
    {
        get
        {
            lock (_gate)
            {
                return _nextLook;
            }
        }
    }

    /// <summary>Gets the number of sends under way (tests).</summary>
    internal int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>
    /// Asks for the pending client reports (the engine's and the SDK's) to be sent on their own as soon as nothing
    /// else waits. Completes with <see langword="true"/> once sent (or when nothing was pending).
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

        _requests.Set();
        return request;
    }

    /// <summary>Runs until <paramref name="stopping"/> is canceled; sends under way are canceled with it.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                // Taken before looking, so that an envelope added meanwhile wakes the wait below.
                var added = _store.Added.Wait();
                var requested = _requests.Wait();
                var now = _time.GetUtcNow();
                var lookAt = Launch(now, stopping);
                var waitFor = new List<Task>(_inFlight.Count + 3) { added, requested };
                waitFor.AddRange(_inFlight.Select(s => (Task)s.Response));
                using var delay = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                if (lookAt is { } at)
                {
                    waitFor.Add(Task.Delay(at > now ? at - now : TimeSpan.Zero, _time, delay.Token));
                }

                // Published once the timer exists, so that a test that advances a fake clock to it wakes the loop.
                lock (_gate)
                {
                    _nextLook = lookAt;
                }

                await Task.WhenAny(waitFor).WaitAsync(stopping).ConfigureAwait(false);
                delay.Cancel();
                CompleteFinishedSends(stopping);
                _notices.Notice();
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

    /// <summary>Starts what the schedule and the rate limits allow. Returns when to look again by itself, if ever.</summary>
    private DateTimeOffset? Launch(DateTimeOffset now, CancellationToken stopping)
    {
        if (_store.Count == 0)
        {
            _schedule.NothingWaiting();
        }
        else if (_heldUntil <= now)
        {
            // What a rate limit held back is a backlog like one after an outage: sent paced, not all at once.
            _schedule.Drain(now, _store.Count);
            _heldUntil = null;
        }

        var allowance = _schedule.Allowance(now, _inFlight.Count, out var wakeAt);
        if (allowance == 0)
        {
            return wakeAt;
        }

        DateTimeOffset? limitEnd = null;
        if (_store.Count > 0)
        {
            _store.PeekOldest(_oldest, _rateLimits.IsAnyActive(now) ? int.MaxValue : allowance + _inFlight.Count);
            foreach (var envelope in _oldest)
            {
                if (allowance == 0)
                {
                    break;
                }

                if (envelope.InFlight)
                {
                    continue;
                }

                if (_rateLimits.BlockedUntil(envelope.Categories, now) is { } until)
                {
                    limitEnd = limitEnd is { } earlier && earlier < until ? earlier : until;
                    continue;
                }

                if (TryLaunch(envelope, now, stopping))
                {
                    allowance--;
                    _schedule.Started(now);
                }
            }

            _oldest.Clear();
        }

        _heldUntil = limitEnd;
        if (_inFlight.Count > 0)
        {
            return null;
        }

        if (ClientReportDue(now, out var dueAt) is { } request)
        {
            if (LaunchClientReport(now, request, stopping))
            {
                _schedule.Started(now);
            }

            return null;
        }

        return Earliest(limitEnd, dueAt);
    }

    /// <summary>
    /// Decides whether the pending client reports go alone now: a flush asked, or discards waited
    /// <see cref="ClientReportDelay"/> for an envelope to ride along with. Returns the request to complete (a
    /// completed placeholder when none asked), or <see langword="null"/> with the time they will be due.
    /// </summary>
    private TaskCompletionSource<bool>? ClientReportDue(DateTimeOffset now, out DateTimeOffset? dueAt)
    {
        dueAt = null;
        if (!_sendClientReports || _rateLimits.BlockedUntil([DataCategories.Internal], now) is not null)
        {
            return null;
        }

        lock (_gate)
        {
            if (_clientReportRequest is { } request)
            {
                _clientReportRequest = null;
                return request;
            }
        }

        if (!_counters.HasPendingClientReport)
        {
            _clientReportsPendingSince = null;
            return null;
        }

        _clientReportsPendingSince ??= now;
        dueAt = _clientReportsPendingSince.Value + ClientReportDelay;
        return now >= dueAt ? new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously) : null;
    }

    private bool TryLaunch(PendingEnvelope envelope, DateTimeOffset now, CancellationToken stopping)
    {
        if (!_store.TryClaim(envelope))
        {
            // Evicted from the offline cache (and counted) since the peek.
            return false;
        }

        var carriesReport = _sendClientReports && !_inFlight.Exists(s => s.ClientReport is not null);
        var clientReport = carriesReport ? _counters.TakeClientReport() : null;
        var buffer = _buffers.Count > 0 ? _buffers.Pop() : new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            Frame(buffer, envelope.Header, envelope.Items, clientReport, now);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The cache file vanished, cannot be read, or was changed into something that is not an envelope: nothing
            // left to send.
            _buffers.Push(buffer);
            if (clientReport is not null)
            {
                _counters.RestoreClientReport(clientReport);
            }

            Log.CacheFileRemoved(_logger, envelope.FilePath ?? "(memory)", exception.Message);
            _counters.Drop(DiscardReason.InternalSdkError, envelope.Categories, envelope.Spans);
            Finish(envelope);
            return false;
        }
        finally
        {
            envelope.Unload();
        }

        if (clientReport is not null)
        {
            _clientReportsPendingSince = null;
        }

        Start(new Send(envelope, clientReport, null, buffer, now), stopping);
        return true;
    }

    /// <summary>Sends the pending client reports alone; returns <see langword="false"/> when none was pending (the request is then complete).</summary>
    private bool LaunchClientReport(DateTimeOffset now, TaskCompletionSource<bool> request, CancellationToken stopping)
    {
        var ours = _counters.TakeClientReport();
        var theirs = _sdk.TakeClientReport(_sdkLogger);
        _clientReportsPendingSince = null;
        if (ours is null && theirs is null)
        {
            request.TrySetResult(true);
            return false;
        }

        var buffer = _buffers.Count > 0 ? _buffers.Pop() : new ArrayBufferWriter<byte>(1024);
        Frame(buffer, theirs is null ? _standaloneHeader ??= _sdk.StandaloneHeader(_sdkLogger) : theirs.Header, theirs is null ? default : theirs.Items, ours, now);
        theirs?.Dispose();
        Start(new Send(null, ours, request, buffer, now), stopping);
        return true;
    }

    private void Start(Send send, CancellationToken stopping)
    {
        send.Response = _transport.SendAsync(send.Buffer.WrittenMemory, stopping);
        lock (_gate)
        {
            _inFlight.Add(send);
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

            lock (_gate)
            {
                _inFlight.RemoveAt(i--);
            }

            _buffers.Push(send.Buffer);
            if (send.Response.IsCompletedSuccessfully)
            {
                Handle(send, send.Response.Result);
            }
            else if (!stopping.IsCancellationRequested)
            {
                // The transport returns failures as results; anything else is a bug: keep the envelope, as for no response.
                Handle(send, TransportResponse.Failed(send.Response.Exception?.InnerException ?? new OperationCanceledException()));
            }
        }
    }

    private void Handle(Send send, TransportResponse response)
    {
        var now = _time.GetUtcNow();
        NoteRateLimits(response, now);
        if (response.IsNetworkFailure)
        {
            if (send.Envelope is { } kept)
            {
                // It stays, and may be evicted again; any other answer removes it (Finish) while it is still claimed.
                _store.Release(kept);
            }

            // The only case in which anything is sent again: the envelope stays, and so do the discards it carried.
            if (send.ClientReport is not null)
            {
                _counters.RestoreClientReport(send.ClientReport);
            }

            if (send.Envelope is not null)
            {
                _counters.Retry();
            }

            var wasFailing = _schedule.Failures > 0;
            var retryAt = _schedule.Failed(now, send.StartedAt, serverDelay: null);
            var reason = SecretRedactor.Redact(response.Describe(), _dsnKeys);
            Publish(_state with
            {
                LastFailureAt = now,
                LastFailureStatus = 0,
                LastFailure = reason,
                UnreachableSince = _state.UnreachableSince ?? send.StartedAt,
            });
            if (!wasFailing)
            {
                Log.Unreachable(_logger, reason, (long)(retryAt - now).TotalMilliseconds);
            }
            else
            {
                Log.ProbeFailed(_logger, reason, _schedule.Failures, (long)(retryAt - now).TotalMilliseconds);
            }

            send.Request?.TrySetResult(false);
            return;
        }

        if (_schedule.Failures > 0 && !response.IsServerError)
        {
            Log.ReachableAgain(_logger, response.StatusCode, _store.Count + _queue.Count - (send.Envelope is null ? 0 : 1));
        }

        if (response.IsSuccess)
        {
            _loggedStatuses.Clear();
            Publish(send.Envelope is null
                ? _state with { UnreachableSince = null }
                : _state with { LastDeliveredAt = now, LastAnswerStatus = response.StatusCode, UnreachableSince = null, ServerFailingSince = null });
            if (send.Envelope is { } delivered)
            {
                _counters.Deliver();
                Log.Delivered(_logger, delivered.EventId.ToString());
                Finish(delivered);
            }
        }
        else
        {
            Reject(send, response, now);
        }

        if (response.IsServerError)
        {
            var retryAt = _schedule.Failed(now, send.StartedAt, RateLimits.ParseRetryAfter(response.RetryAfter, now));
            Log.ServerFailing(_logger, response.StatusCode, (long)(retryAt - now).TotalMilliseconds);
        }
        else
        {
            _schedule.Answered(now, _store.Count + _queue.Count);
        }

        send.Request?.TrySetResult(response.IsSuccess);
    }

    /// <summary>An answer other than 2xx: the envelope is discarded and never sent again (Sentry's transport rules).</summary>
    private void Reject(Send send, TransportResponse response, DateTimeOffset now)
    {
        if (send.Envelope is not { } envelope)
        {
            Publish(_state with { UnreachableSince = null });

            // A client report on its own that the server refused: sending it again could only be refused again.
            return;
        }

        var detail = SecretRedactor.Redact(response.Detail ?? "no detail", _dsnKeys);
        Publish(_state with
        {
            LastFailureAt = now,
            LastFailureStatus = response.StatusCode,
            LastFailure = $"HTTP {response.StatusCode}: {detail}",
            LastAnswerStatus = response.StatusCode,
            UnreachableSince = null,
            ServerFailingSince = response.IsServerError ? _state.ServerFailingSince ?? send.StartedAt : null,
        });

        if (send.ClientReport is not null)
        {
            // The discards rode along with an envelope the server refused as a whole: they go with the next one
            // ("double-counting is preferable to not counting").
            _counters.RestoreClientReport(send.ClientReport);
        }

        if (response.StatusCode == 429)
        {
            // The server counted it; it is not sent again.
            _counters.Drop(DiscardReason.RateLimited, envelope.Categories, envelope.Spans);
        }
        else
        {
            _counters.Drop(DiscardReason.SendError, envelope.Categories, envelope.Spans);
            if (_loggedStatuses.Add(response.StatusCode))
            {
                if (response.StatusCode == 413)
                {
                    Log.TooLarge(_logger, envelope.EventId.ToString(), detail);
                }
                else
                {
                    Log.Rejected(_logger, envelope.EventId.ToString(), response.StatusCode, detail);
                }
            }
        }

        Finish(envelope);
    }

    private void NoteRateLimits(TransportResponse response, DateTimeOffset now)
    {
        if (!_rateLimits.Update(response.StatusCode, response.RateLimits, response.RetryAfter, now))
        {
            return;
        }

        var limits = _rateLimits.Active(now);
        var until = limits.Count == 0 ? now : limits.Max(l => l.Value);
        if (until != _loggedLimit)
        {
            _loggedLimit = until;
            Log.RateLimited(_logger, string.Join(",", limits.Select(l => l.Key)), until);
        }
    }

    private void Publish(SendState state) => Volatile.Write(ref _state, state);

    private void Finish(PendingEnvelope envelope)
    {
        _store.Remove(envelope);
        _flush.NotifyProgress();
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b)
        => a is null ? b : b is null ? a : a < b ? a : b;

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

    /// <summary>One send under way: an envelope (with the engine's discards riding along), or client reports alone.</summary>
    private sealed class Send(PendingEnvelope? envelope, DiscardCount[]? clientReport, TaskCompletionSource<bool>? request, ArrayBufferWriter<byte> buffer, DateTimeOffset startedAt)
    {
        public PendingEnvelope? Envelope => envelope;

        public DiscardCount[]? ClientReport => clientReport;

        public TaskCompletionSource<bool>? Request => request;

        public ArrayBufferWriter<byte> Buffer => buffer;

        public DateTimeOffset StartedAt => startedAt;

        public Task<TransportResponse> Response { get; set; } = null!;
    }
}
