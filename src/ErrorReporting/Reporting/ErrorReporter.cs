using ErrorReporting.Configuration;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Processing;
using ErrorReporting.Serialization;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Reporting;

/// <summary>
/// The enabled reporter. A report call does only what must happen on the caller's thread: check for a duplicate,
/// take an id and a timestamp, and enqueue a struct entry (no lock, no allocation). Everything else happens on the
/// background worker: report → queue → event builder → serializer → store → sender → transport.
/// </summary>
internal sealed class ErrorReporter : IErrorReporter, IAsyncDisposable, IDisposable
{
    private readonly ReportQueue _queue;
    private readonly ReportedExceptions _reported;
    private readonly ReporterCounters _counters;
    private readonly RateLimits _rateLimits = new();
    private readonly IEnvelopeStore _store;
    private readonly IEnvelopeTransport _transport;
    private readonly ReportWorker _worker;
    private readonly EnvelopeSender _sender;
    private readonly FlushTracker _flush;
    private readonly TimeProvider _time;
    private readonly bool _systemClock;
    private readonly ILogger _logger;
    private readonly double _sampleRate;
    private readonly TimeSpan _shutdownTimeout;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _workerTask;
    private readonly Task _senderTask;
    private readonly EventHandler _onProcessExit;
    private int _disposed;

    public ErrorReporter(ErrorReportingOptions options, Dsn dsn, IEnvelopeTransport transport, ILoggerFactory loggerFactory, TimeProvider time, System.Diagnostics.Metrics.IMeterFactory? meterFactory)
    {
        _time = time;
        _systemClock = ReferenceEquals(time, TimeProvider.System);
        _logger = loggerFactory.CreateLogger(Log.Category);
        _sampleRate = options.SampleRate;
        _shutdownTimeout = options.ShutdownTimeout;
        _transport = transport;
        _queue = new ReportQueue(options.MaxQueueItems);
        _reported = new ReportedExceptions(options.MaxQueueItems);
        var writer = new EventWriter();
        var sdk = writer.Sdk.ToArray();

        // The pieces call each other back (store → sender wake-up, worker/sender → flush progress); the lambdas
        // capture locals that are assigned before the worker and sender start.
        EnvelopeSender? sender = null;
        FlushTracker? flush = null;
        IEnvelopeStore? store = null;
        _counters = new ReporterCounters(meterFactory, () => _queue.EnqueuedCount, () => _queue.Count + (store?.EventCount ?? 0));
        _store = store = CreateStore(options, dsn, sdk, _counters, _logger, () => sender?.Wake());
        _worker = new ReportWorker(_queue, _reported, new EventBuilder(options), writer, _store, _counters, options.BeforeSend, time, _logger, () => flush?.NotifyProgress());
        _flush = flush = new FlushTracker(() => _worker.ProcessedCount, () => _store.OldestSequence);
        _sender = sender = new EnvelopeSender(_store, transport, _rateLimits, _counters, time, _logger, options.SendClientReports, sdk, _flush.NotifyProgress);

        _workerTask = Task.Run(() => RunGuardedAsync(_worker.RunAsync));
        _senderTask = Task.Run(() => RunGuardedAsync(_sender.RunAsync));

        // A short-lived program that reports and returns from Main must not lose the report.
        _onProcessExit = (_, _) => Flush(_shutdownTimeout);
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
        Log.Enabled(_logger, dsn.Redacted, options.Environment, options.Release);
    }

    public bool IsEnabled => true;

    internal ReporterCounters Counters => _counters;

    internal ReportedExceptions ReportedExceptions => _reported;

    public SentryEventId ReportHandled(Exception exception, SentryLevel level = SentryLevel.Error, ReportContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return ReportException(exception, mechanism: null, ReportKind.Handled, level, context);
    }

    public SentryEventId ReportUnhandled(Exception exception, string mechanism, SentryLevel level = SentryLevel.Error, ReportContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(mechanism);
        return ReportException(exception, mechanism, ReportKind.Unhandled, level, context);
    }

    public SentryEventId ReportMessage(string message, SentryLevel level = SentryLevel.Info, ReportContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var entry = new ReportEntry { Message = message, Level = level, Context = context, Kind = ReportKind.Message };
        return Enqueue(ref entry);
    }

    public async ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }

        var started = _time.GetTimestamp();
        var flushed = await WaitAsync(_flush.WaitAsync(_queue.EnqueuedCount), timeout, cancellationToken).ConfigureAwait(false);
        if (flushed && Volatile.Read(ref _disposed) == 0)
        {
            // Client reports about what was dropped go out with the flush; they do not decide its result.
            var left = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - _time.GetElapsedTime(started);
            if (left > TimeSpan.Zero || left == Timeout.InfiniteTimeSpan)
            {
                await WaitAsync(_sender.RequestClientReportAsync(), left, cancellationToken).ConfigureAwait(false);
            }
        }

        return flushed;
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        await FlushAsync(_shutdownTimeout).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        _queue.WakeConsumer();
        _sender.Wake();
        await Task.WhenAll(_workerTask, _senderTask).ConfigureAwait(false);
        _flush.Abandon();

        var undelivered = _counters.Queued;
        if (undelivered > 0)
        {
            Log.NotDeliveredAtShutdown(_logger, undelivered, _shutdownTimeout);
        }

        _worker.Dispose();
        _store.Dispose();
        _transport.Dispose();
        _counters.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Flushes synchronously (process exit, crash): never throws, never waits longer than <paramref name="timeout"/>.</summary>
    internal bool Flush(TimeSpan timeout)
    {
        try
        {
            return FlushAsync(timeout).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            return false;
        }
    }

    internal IEnvelopeStore Store => _store;

    internal RateLimits RateLimits => _rateLimits;

    private static IEnvelopeStore CreateStore(ErrorReportingOptions options, Dsn dsn, ReadOnlyMemory<byte> sdk, ReporterCounters counters, ILogger logger, Action onAdded)
    {
        if (!string.IsNullOrWhiteSpace(options.CacheDirectory)
            && DiskEnvelopeStore.Open(options.CacheDirectory, $"{dsn.EnvelopeUri}|{dsn.PublicKey}", options.MaxCacheItems, sdk, counters, logger, onAdded) is { } disk)
        {
            return disk;
        }

        return new MemoryEnvelopeStore(onAdded);
    }

    private SentryEventId ReportException(Exception exception, string? mechanism, ReportKind kind, SentryLevel level, ReportContext? context)
    {
        if (_reported.TryGetEventId(exception, out var existing))
        {
            return new SentryEventId(existing);
        }

        var entry = new ReportEntry { Exception = exception, Mechanism = mechanism, Level = level, Context = context, Kind = kind };
        return Enqueue(ref entry);
    }

    private SentryEventId Enqueue(ref ReportEntry entry)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            Log.ReportAfterDispose(_logger);
            return SentryEventId.Empty;
        }

        if (_sampleRate < 1.0 && Random.Shared.NextDouble() >= _sampleRate)
        {
            _counters.RejectedAtCall(DiscardReason.SampleRate);
            return SentryEventId.Empty;
        }

        entry.EventId = EventIds.Next();
        entry.TimestampTicks = _systemClock ? DateTime.UtcNow.Ticks : _time.GetUtcNow().UtcTicks;
        entry.Scope = ErrorReportingScope.CurrentState;
        if (entry.Exception is { } exception)
        {
            _reported.RememberInFlight(exception, entry.EventId);
        }

        if (!_queue.TryEnqueue(in entry))
        {
            if (entry.Exception is not null)
            {
                _reported.ForgetInFlight(entry.Exception);
            }

            _counters.RejectedAtCall(_rateLimits.IsAnyActive(_time.GetUtcNow()) ? DiscardReason.RateLimitBackoff : DiscardReason.QueueOverflow);
            return SentryEventId.Empty;
        }

        return new SentryEventId(entry.EventId);
    }

    private async Task RunGuardedAsync(Func<CancellationToken, Task> run)
    {
        try
        {
            await run(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Log.WorkerFailed(_logger, exception);
        }
    }

    private async Task<bool> WaitAsync(Task<bool> task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
