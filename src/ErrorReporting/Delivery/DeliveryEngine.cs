using System.Diagnostics.Metrics;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Sending;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// ErrorReporting's delivery engine, installed as the SDK's <see cref="SentryOptions.BackgroundWorker"/>: everything
/// the SDK sends (events, messages, sessions, transactions, attachments, check-ins, client reports) goes through it.
/// The data path (<see cref="DeliveryPipeline"/>): capture (caller's thread) → <see cref="EnvelopeQueue"/> →
/// <see cref="EnvelopeIntake"/> (the SDK's serializer) → store (memory, or the offline cache in
/// <see cref="SentryOptions.CacheDirectoryPath"/>) → <see cref="EnvelopeSender"/> (Sentry's transport rules) →
/// <see cref="HttpEnvelopeTransport"/> → wire.
/// </summary>
/// <remarks>
/// <para>
/// Why the background worker and not the transport: the SDK's own worker is what drops envelopes when its queue of 30
/// is full, and its caching transport is what keeps only 30 files through an outage. As the worker, the engine
/// replaces both, so that <see cref="SentryOptions.MaxQueueItems"/>, <see cref="SentryOptions.CacheDirectoryPath"/>
/// and <see cref="SentryOptions.MaxCacheItems"/> keep their names and mean ErrorReporting's queue and cache, and
/// <see cref="EnqueueEnvelope"/>, the one call on the caller's thread, is a channel write.
/// </para>
/// <para>
/// Nothing starts when the engine is created: the SDK's hub starts it (through <see cref="DeliveryIntegration"/>) when
/// it is initialised with the options that hold it, or a direct <see cref="SentryClient"/> at its first envelope.
/// </para>
/// </remarks>
internal sealed class DeliveryEngine : IBackgroundWorker, IDisposable
{
    private readonly SentryOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory? _meterFactory;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Func<IEnvelopeTransport>? _transportFactory;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private DeliveryPipeline? _pipeline;
    private IHub? _hub;
    private bool _startFailed;
    private bool _disposed;

    /// <param name="options">The SDK's options the engine is installed into (read when it starts).</param>
    /// <param name="loggerFactory">Where the engine logs (category <c>ErrorReporting</c>).</param>
    /// <param name="meterFactory">Where its counters are published (<c>ErrorReporting</c> meter).</param>
    /// <param name="time">Its clock: retry delays, the backlog's pace, rate limits, send and flush timeouts.</param>
    /// <param name="random">The jitter of its retry delays.</param>
    /// <param name="transportFactory">Creates the transport; <see cref="HttpEnvelopeTransport"/> when <see langword="null"/> (a seam for tests).</param>
    public DeliveryEngine(
        SentryOptions options,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        TimeProvider? time = null,
        Random? random = null,
        Func<IEnvelopeTransport>? transportFactory = null)
    {
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _meterFactory = meterFactory;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _transportFactory = transportFactory;
        Counters = new DeliveryCounters(_time);
    }

    /// <summary>Gets a value indicating whether the hub that started the engine is still enabled (not closed, not replaced).</summary>
    public bool IsServingHub => _hub?.IsEnabled == true && !Volatile.Read(ref _disposed);

    /// <summary>Gets the engine's accounting.</summary>
    public DeliveryCounters Counters { get; }

    /// <summary>Gets the rate limits the server announced.</summary>
    public RateLimits RateLimits { get; } = new();

    /// <summary>Gets the clock of the engine.</summary>
    public TimeProvider Time => _time;

    /// <summary>Gets the SDK's options the engine is installed into.</summary>
    public SentryOptions Options => _options;

    /// <summary>Gets a value indicating whether the engine could not start (logged); it then refuses every envelope.</summary>
    public bool StartFailed => Volatile.Read(ref _startFailed);

    /// <summary>Gets the running parts, once started.</summary>
    internal DeliveryPipeline? Pipeline => Volatile.Read(ref _pipeline);

    public int QueuedItems => Pipeline is { } pipeline ? (int)Math.Min(int.MaxValue, pipeline.Queued) : 0;

    /// <summary>Starts the engine for the hub the SDK initialised with these options (idempotent).</summary>
    public void Activate(IHub hub)
    {
        _hub = hub;
        Start();
    }

    /// <summary>Closes the hub that started the engine (flushing for its <see cref="SentryOptions.ShutdownTimeout"/>), before the engine stops.</summary>
    public void CloseHub() => (_hub as IDisposable)?.Dispose();

    /// <summary>
    /// Takes an envelope from the SDK, on the caller's thread: a channel write. Returns <see langword="false"/>,
    /// counted, when the envelope is not accepted: its lane of the queue is full (<c>queue_overflow</c>), a rate limit
    /// covers it (<c>ratelimit_backoff</c>; the id of an event that will never arrive helps nobody), or the engine
    /// stopped. The SDK then returns <see cref="SentryId.Empty"/> from the capture.
    /// </summary>
    public bool EnqueueEnvelope(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        Counters.Report();
        var pipeline = Pipeline ?? Start();
        if (pipeline is null || Volatile.Read(ref _disposed))
        {
            return Refuse(envelope, DiscardReason.InternalSdkError);
        }

        var allowed = envelope;
        if (RateLimits.MayBeActive && RateLimits.IsAnyActive(_time.GetUtcNow()))
        {
            allowed = WithoutLimitedItems(envelope);
            if (allowed is null)
            {
                return Refuse(envelope, DiscardReason.RateLimitBackoff);
            }
        }

        return pipeline.Queue.TryEnqueue(allowed, QueueLanes.Of(allowed)) || Refuse(allowed, DiscardReason.QueueOverflow);
    }

    /// <inheritdoc />
    public Task FlushAsync(TimeSpan timeout) => FlushAsync(timeout, CancellationToken.None).AsTask();

    /// <summary>
    /// Waits until every envelope accepted before the call was delivered or definitively dropped, then sends the
    /// pending client reports (which do not decide the result): on their own once no other send is under way, waited
    /// for at most <see cref="EnvelopeSender.ClientReportDelay"/> within the timeout (under steady traffic they ride
    /// along with the next envelope instead, and an unbounded flush would wait for envelopes reported after it).
    /// </summary>
    /// <returns><see langword="true"/> when everything was delivered or dropped within <paramref name="timeout"/>.</returns>
    public async ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Pipeline is not { } pipeline)
        {
            return !Volatile.Read(ref _startFailed);
        }

        if (pipeline.Faulted)
        {
            return false;
        }

        var marker = new FlushMarker();
        if (!pipeline.Queue.TryEnqueue(marker))
        {
            return false;
        }

        var started = _time.GetTimestamp();
        var flushed = await WaitAsync(marker.Done, timeout, cancellationToken).ConfigureAwait(false);
        if (flushed && !Volatile.Read(ref _disposed))
        {
            var left = Remaining(timeout, started);
            if (left > TimeSpan.Zero || left == Timeout.InfiniteTimeSpan)
            {
                var wait = left == Timeout.InfiniteTimeSpan || left > EnvelopeSender.ClientReportDelay ? EnvelopeSender.ClientReportDelay : left;
                await WaitAsync(pipeline.Sender.RequestClientReportAsync(), wait, cancellationToken).ConfigureAwait(false);
            }
        }

        return flushed;
    }

    /// <summary>Stops the intake and the sender. What is still in memory is logged; envelopes in the offline cache stay for the next process.</summary>
    public void Dispose()
    {
        DeliveryPipeline? pipeline;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            pipeline = _pipeline;
        }

        if (pipeline is not null)
        {
            pipeline.Queue.Close();
            _stopping.Cancel();
            var (left, kept) = pipeline.Stop();
            if (left > 0)
            {
                Log.NotDeliveredAtShutdown(pipeline.Logger, left, kept, left - kept);
            }
        }

        _stopping.Dispose();
    }

    /// <summary>Starts the engine (idempotent): the hub does it through <see cref="Activate"/>, a direct <see cref="SentryClient"/> at its first envelope.</summary>
    internal DeliveryPipeline? Start()
    {
        lock (_gate)
        {
            if (_pipeline is not null || _disposed || _startFailed)
            {
                return _pipeline;
            }

            var logger = _loggerFactory.CreateLogger(Log.Category);
            try
            {
                var pipeline = DeliveryPipeline.Create(_options, Counters, RateLimits, logger, _meterFactory, _time, _random, _transportFactory);
                pipeline.Run(_time, _stopping.Token);
                Volatile.Write(ref _pipeline, pipeline);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                _startFailed = true;
                Log.StartFailed(logger, exception);
            }

            return _pipeline;
        }
    }

    /// <summary>
    /// Removes the items a rate limit covers. Returns <see langword="null"/> when the envelope's first item (the
    /// event, transaction or session it is about) is limited, or nothing is left.
    /// </summary>
    private Envelope? WithoutLimitedItems(Envelope envelope)
    {
        var now = _time.GetUtcNow();
        var items = envelope.Items;
        if (items.Count == 0 || RateLimits.IsLimited(DataCategories.FromItemType(items[0].TryGetType()), now))
        {
            return null;
        }

        List<EnvelopeItem>? kept = null;
        for (var i = 1; i < items.Count; i++)
        {
            var category = DataCategories.FromItemType(items[i].TryGetType());
            if (RateLimits.IsLimited(category, now))
            {
                kept ??= [.. items.Take(i)];
                Counters.DropItems(DiscardReason.RateLimitBackoff, [category]);
                items[i].Dispose();
            }
            else
            {
                kept?.Add(items[i]);
            }
        }

        return kept is null ? envelope : new Envelope(envelope.Header, kept);
    }

    private bool Refuse(Envelope envelope, DiscardReason reason)
    {
        Counters.Drop(reason, EnvelopeSerializer.Categories(envelope), SpanCounts.Of(envelope));
        envelope.Dispose();
        Pipeline?.Notices.Notice();
        return false;
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

    /// <summary>Waits for a task within a timeout: its result, or <see langword="false"/> at the timeout.</summary>
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
