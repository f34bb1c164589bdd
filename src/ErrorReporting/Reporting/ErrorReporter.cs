using ErrorReporting.Configuration;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Processing;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Reporting;

/// <summary>
/// The enabled reporter. A report call does only what must happen on the caller's thread: check for a duplicate,
/// take an id and a timestamp, and enqueue a struct entry (no lock, no allocation). Everything else happens on the
/// background pipeline: report → queue → event builder → serializer → store → sender → transport.
/// </summary>
/// <remarks>
/// Creating the reporter builds only the queue and the duplicate index; the pipeline (HTTP client, serializer, offline
/// cache, worker, sender) is built on a thread-pool thread meanwhile. Reports made before it is ready wait in the queue.
/// </remarks>
internal sealed class ErrorReporter : IErrorReporter, IAsyncDisposable, IDisposable
{
    private readonly ReportQueue _queue;
    private readonly ReportedExceptions _reported;
    private readonly ReporterCounters _counters;
    private readonly RateLimits _rateLimits = new();
    private readonly TimeProvider _time;
    private readonly bool _systemClock;
    private readonly double _sampleRate;
    private readonly TimeSpan _shutdownTimeout;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task<ReportPipeline> _pipeline;
    private readonly EventHandler _onProcessExit;
    private int _disposed;

    public ErrorReporter(
        ErrorReportingOptions options,
        Dsn dsn,
        Func<IEnvelopeTransport> createTransport,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory)
    {
        _time = time;
        _systemClock = ReferenceEquals(time, TimeProvider.System);
        _sampleRate = options.SampleRate;
        _shutdownTimeout = options.ShutdownTimeout;
        _queue = new ReportQueue(options.MaxQueueItems);
        _reported = new ReportedExceptions(options.MaxQueueItems);
        _counters = new ReporterCounters(() => _queue.EnqueuedCount, () => _queue.Count);
        var stopping = _stopping.Token;
        _pipeline = Task.Run(() =>
        {
            try
            {
                return ReportPipeline.Start(options, dsn, createTransport, loggerFactory, time, meterFactory, _queue, _reported, _counters, _rateLimits, stopping);
            }
            catch (Exception exception)
            {
                Log.WorkerFailed(loggerFactory.CreateLogger(Log.Category), exception);
                throw;
            }
        });

        // A short-lived program that reports and returns from Main must not lose the report.
        _onProcessExit = (_, _) => Flush(_shutdownTimeout);
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    public bool IsEnabled => true;

    internal ReporterCounters Counters => _counters;

    internal ReportedExceptions ReportedExceptions => _reported;

    internal RateLimits RateLimits => _rateLimits;

    /// <summary>Gets the background pipeline, once built.</summary>
    internal Task<ReportPipeline> Pipeline => _pipeline;

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

        var target = _queue.EnqueuedCount;
        var started = _time.GetTimestamp();
        var pipeline = await WaitAsync(_pipeline, timeout, cancellationToken).ConfigureAwait(false);
        if (pipeline is null)
        {
            return false;
        }

        var flushed = await WaitAsync(pipeline.Flush.WaitAsync(target), Remaining(timeout, started), cancellationToken).ConfigureAwait(false);
        if (flushed && Volatile.Read(ref _disposed) == 0)
        {
            // Client reports about what was dropped go out with the flush; they do not decide its result.
            var left = Remaining(timeout, started);
            if (left > TimeSpan.Zero || left == Timeout.InfiniteTimeSpan)
            {
                await WaitAsync(pipeline.Sender.RequestClientReportAsync(), left, cancellationToken).ConfigureAwait(false);
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
        try
        {
            var pipeline = await _pipeline.ConfigureAwait(false);
            await pipeline.StopAsync().ConfigureAwait(false);
            var undelivered = _counters.Queued;
            if (undelivered > 0)
            {
                Log.NotDeliveredAtShutdown(pipeline.Logger, undelivered, _shutdownTimeout);
            }
        }
        catch (Exception)
        {
            // The pipeline never started (its failure was logged when it happened): nothing to stop.
        }

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
            if (_pipeline.IsCompletedSuccessfully)
            {
                Log.ReportAfterDispose(_pipeline.Result.Logger);
            }

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

    /// <summary>Gets what is left of <paramref name="timeout"/> since <paramref name="started"/> (never negative; infinite stays infinite).</summary>
    private TimeSpan Remaining(TimeSpan timeout, long started)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return timeout;
        }

        var left = timeout - _time.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Waits for a task within a timeout: its result, or the default at the timeout or when it failed.</summary>
    private async Task<T?> WaitAsync<T>(Task<T> task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return default;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && task.IsFaulted)
        {
            return default;
        }
    }
}
