using System.Diagnostics.Metrics;
using System.Reflection;
using ErrorReporting.Configuration;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// ErrorReporting's delivery engine, installed as the SDK's <see cref="SentryOptions.BackgroundWorker"/>: everything
/// the SDK sends (events, messages, sessions, transactions, attachments, check-ins, client reports) goes through it.
/// The data path: capture (caller's thread) → <see cref="EnvelopeQueue"/> → <see cref="EnvelopeWorker"/> (the SDK's
/// serializer; own thread) → store (memory, or the offline cache in <see cref="SentryOptions.CacheDirectoryPath"/>) →
/// <see cref="EnvelopeSender"/> (retries, rate limits, client reports) → <see cref="HttpEnvelopeTransport"/> → wire.
/// </summary>
/// <remarks>
/// <para>
/// Why the background worker and not the transport: the SDK's own worker is what drops envelopes when its queue of 30
/// is full, and its caching and HTTP transports are what drop them on 5xx, 429 and outages. As the worker, the engine
/// replaces all three, so that <see cref="SentryOptions.MaxQueueItems"/>, <see cref="SentryOptions.CacheDirectoryPath"/>
/// and <see cref="SentryOptions.MaxCacheItems"/> keep their names and mean ErrorReporting's queue and cache (the SDK's
/// caching transport is not also built), and <see cref="EnqueueEnvelope"/>, the one call on the caller's thread, is a
/// lock-free enqueue. The SDK still processes every envelope before it is serialized (<see cref="SdkEnvelopeProcessor"/>).
/// </para>
/// <para>
/// Nothing starts when the engine is created: the SDK's hub starts it (through <see cref="DeliveryIntegration"/>) when
/// it is initialised with the options that hold it, so options that never initialise the SDK cost nothing.
/// </para>
/// </remarks>
internal sealed class DeliveryEngine : IBackgroundWorker, IDisposable
{
    private static DeliveryEngine? s_active;

    private readonly SentryOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory? _meterFactory;
    private readonly TimeProvider _time;
    private readonly Func<SentryEndpoint, IEnvelopeTransport>? _transportFactory;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Pipeline? _pipeline;
    private IHub? _hub;
    private bool _disposed;

    /// <param name="options">The SDK's options the engine is installed into (read when it starts).</param>
    /// <param name="loggerFactory">Where the engine logs (category <c>ErrorReporting</c>).</param>
    /// <param name="meterFactory">Where its counters are published (<c>ErrorReporting</c> meter).</param>
    /// <param name="time">Its clock (retry delays, rate limits).</param>
    /// <param name="transportFactory">Creates the transport for the DSN's endpoint; <see cref="HttpEnvelopeTransport"/> when <see langword="null"/> (a seam for tests).</param>
    public DeliveryEngine(
        SentryOptions options,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        TimeProvider? time = null,
        Func<SentryEndpoint, IEnvelopeTransport>? transportFactory = null)
    {
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _meterFactory = meterFactory;
        _time = time ?? TimeProvider.System;
        _transportFactory = transportFactory;
    }

    /// <summary>Gets the engine that serves the SDK's current hub, if ErrorReporting's engine does.</summary>
    public static DeliveryEngine? Active => Volatile.Read(ref s_active) is { IsServingHub: true } active ? active : null;

    /// <summary>Gets a value indicating whether the hub that started the engine is still enabled (not closed, not replaced).</summary>
    public bool IsServingHub => _hub?.IsEnabled == true && !Volatile.Read(ref _disposed);

    /// <summary>Gets the counters, once started.</summary>
    internal DeliveryCounters? Counters => _pipeline?.Counters;

    /// <summary>Gets the running parts, once started (tests).</summary>
    internal Pipeline? Running => _pipeline;

    public int QueuedItems => _pipeline is { } pipeline ? (int)Math.Min(int.MaxValue, pipeline.Counters.Queued) : 0;

    /// <summary>Starts the engine for the hub the SDK initialised with these options (idempotent).</summary>
    public void Activate(IHub hub)
    {
        _hub = hub;
        Start();
        Volatile.Write(ref s_active, this);
    }

    /// <summary>Closes the hub that started the engine (flushing for its <see cref="SentryOptions.ShutdownTimeout"/>), before the engine stops.</summary>
    public void CloseHub() => (_hub as IDisposable)?.Dispose();

    /// <summary>
    /// Takes an envelope from the SDK (caller's thread): a lock-free enqueue. Returns <see langword="false"/>, counted,
    /// when the queue is full or the engine has stopped; the SDK then returns <see cref="SentryId.Empty"/> from the capture.
    /// </summary>
    public bool EnqueueEnvelope(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var pipeline = _pipeline ?? Start();
        if (pipeline is null || Volatile.Read(ref _disposed))
        {
            pipeline?.Counters.RejectedAtCall(DiscardReason.InternalSdkError, EnvelopeSerializer.Categories(envelope));
            envelope.Dispose();
            return false;
        }

        if (pipeline.Queue.TryEnqueue(envelope))
        {
            return true;
        }

        var reason = pipeline.RateLimits.IsAnyActive(_time.GetUtcNow()) ? DiscardReason.RateLimitBackoff : DiscardReason.QueueOverflow;
        pipeline.Counters.RejectedAtCall(reason, EnvelopeSerializer.Categories(envelope));
        envelope.Dispose();
        return false;
    }

    /// <inheritdoc />
    public Task FlushAsync(TimeSpan timeout) => FlushAsync(timeout, CancellationToken.None).AsTask();

    /// <summary>
    /// Waits until every envelope accepted before the call was delivered or definitively dropped, then sends the
    /// pending client reports (which do not decide the result).
    /// </summary>
    /// <returns><see langword="true"/> when everything was delivered or dropped within <paramref name="timeout"/>.</returns>
    public async ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_pipeline is not { } pipeline)
        {
            return true;
        }

        var target = pipeline.Queue.EnqueuedCount;
        var started = _time.GetTimestamp();
        var flushed = await WaitAsync(pipeline.Flush.WaitAsync(target), timeout, cancellationToken).ConfigureAwait(false);
        if (flushed && !Volatile.Read(ref _disposed))
        {
            var left = Remaining(timeout, started);
            if (left > TimeSpan.Zero || left == Timeout.InfiniteTimeSpan)
            {
                await WaitAsync(pipeline.Sender.RequestClientReportAsync(), left, cancellationToken).ConfigureAwait(false);
            }
        }

        return flushed;
    }

    /// <summary>Stops the worker and the sender. What is still queued is logged; envelopes in the offline cache stay for the next process.</summary>
    public void Dispose()
    {
        Pipeline? pipeline;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            pipeline = _pipeline;
        }

        Interlocked.CompareExchange(ref s_active, null, this);
        _stopping.Cancel();
        if (pipeline is not null)
        {
            pipeline.Stop();
            var left = pipeline.Counters.Queued;
            if (left > 0)
            {
                Log.NotDeliveredAtShutdown(pipeline.Logger, left, pipeline.Store is DiskEnvelopeStore ? "kept in the offline cache" : "lost");
            }

            pipeline.Counters.Dispose();
        }

        _stopping.Dispose();
    }

    /// <summary>Starts the engine (idempotent): the hub does it through <see cref="Activate"/>, a direct <see cref="SentryClient"/> at its first envelope.</summary>
    internal Pipeline? Start()
    {
        lock (_gate)
        {
            if (_pipeline is not null || _disposed)
            {
                return _pipeline;
            }

            var logger = _loggerFactory.CreateLogger(Log.Category);
            try
            {
                _pipeline = Pipeline.Start(_options, logger, _meterFactory, _time, _transportFactory, _stopping.Token);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Log.StartFailed(logger, exception);
            }

            return _pipeline;
        }
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

    /// <summary>The running engine: queue, worker thread, store, sender and transport, wired together.</summary>
    internal sealed class Pipeline
    {
        private Task _workerTask = Task.CompletedTask;
        private Task _senderTask = Task.CompletedTask;

        private Pipeline(EnvelopeQueue queue, DeliveryCounters counters, RateLimits rateLimits, ILogger logger)
        {
            Queue = queue;
            Counters = counters;
            RateLimits = rateLimits;
            Logger = logger;
        }

        public EnvelopeQueue Queue { get; }

        public DeliveryCounters Counters { get; }

        public RateLimits RateLimits { get; }

        public ILogger Logger { get; }

        public IEnvelopeStore Store { get; private set; } = null!;

        public EnvelopeWorker Worker { get; private set; } = null!;

        public EnvelopeSender Sender { get; private set; } = null!;

        public FlushTracker Flush { get; private set; } = null!;

        public IEnvelopeTransport Transport { get; private set; } = null!;

        public static Pipeline Start(SentryOptions options, ILogger logger, IMeterFactory? meterFactory, TimeProvider time, Func<SentryEndpoint, IEnvelopeTransport>? transportFactory, CancellationToken stopping)
        {
            var endpoint = SentryEndpoint.Create(options);
            var queue = new EnvelopeQueue(options.MaxQueueItems);
            var counters = new DeliveryCounters(() => queue.EnqueuedCount, () => queue.Count);
            var pipeline = new Pipeline(queue, counters, new RateLimits(), logger);
            var sdk = new SdkEnvelopeProcessor(options);
            var sdkLogger = options.DiagnosticLogger;

            // The pieces call each other back (store → sender wake-up, worker and sender → flush progress); the lambdas
            // read properties that are assigned before the worker and the sender start.
            pipeline.Store = OpenStore(options, counters, logger, () => pipeline.Sender?.Wake());
            pipeline.Transport = transportFactory?.Invoke(endpoint)
                ?? new HttpEnvelopeTransport(options, endpoint, (options as ErrorReportingOptions)?.SendTimeout ?? ErrorReportingOptions.DefaultSendTimeout);
            pipeline.Worker = new EnvelopeWorker(queue, sdk, pipeline.Store, counters, sdkLogger, logger, () => pipeline.Flush?.NotifyProgress(), SpotlightForwarder.Create(options, logger));
            pipeline.Flush = new FlushTracker(() => pipeline.Worker.ProcessedCount, () => pipeline.Store.OldestSequence);
            var headerFields = StandaloneHeaderFields();
            pipeline.Sender = new EnvelopeSender(
                pipeline.Store,
                pipeline.Transport,
                pipeline.RateLimits,
                counters,
                () => SdkClientReport(sdk, headerFields, sdkLogger),
                StandaloneHeader(headerFields, sdkLogger),
                time,
                logger,
                options.SendClientReports,
                pipeline.Flush.NotifyProgress);
            counters.Publish(meterFactory, () => pipeline.Store.Count);
            pipeline._workerTask = RunOnDedicatedThread(pipeline.Worker.Run, logger, stopping);
            pipeline._senderTask = RunGuardedAsync(pipeline.Sender.RunAsync, logger, stopping);
            Log.Started(logger, endpoint.EnvelopeUri.GetLeftPart(UriPartial.Authority), options.MaxQueueItems, pipeline.Store is DiskEnvelopeStore disk ? disk.Directory : "none");
            return pipeline;
        }

        /// <summary>Waits for the worker and the sender to stop (the caller has canceled them), then releases everything.</summary>
        public void Stop()
        {
            Queue.WakeConsumer();
            Sender.Wake();
            try
            {
                Task.WhenAll(_workerTask, _senderTask).Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // Their failures were logged when they happened.
            }

            Flush.Abandon();
            Worker.Dispose();
            Store.Dispose();
            Transport.Dispose();
        }

        private static IEnvelopeStore OpenStore(SentryOptions options, DeliveryCounters counters, ILogger logger, Action onAdded)
        {
            if (!string.IsNullOrWhiteSpace(options.CacheDirectoryPath) && !options.DisableFileWrite
                && DiskEnvelopeStore.Open(Path.Combine(options.CacheDirectoryPath, "ErrorReporting"), options.Dsn ?? string.Empty, options.MaxCacheItems, counters, logger, onAdded) is { } disk)
            {
                return disk;
            }

            return new MemoryEnvelopeStore(onAdded);
        }

        /// <summary>The header of an envelope the engine sends itself (client reports): the SDK's name and version, no event id.</summary>
        private static Dictionary<string, object?> StandaloneHeaderFields()
        {
            var version = typeof(SentrySdk).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? string.Empty;
            var plus = version.IndexOf('+', StringComparison.Ordinal);
            return new Dictionary<string, object?>
            {
                ["sdk"] = new Dictionary<string, string?> { ["name"] = "sentry.dotnet", ["version"] = plus >= 0 ? version[..plus] : version },
            };
        }

        private static byte[] StandaloneHeader(Dictionary<string, object?> fields, IDiagnosticLogger? sdkLogger)
        {
            using var buffer = new MemoryStream();
            new Envelope(fields, []).SerializeAsync(buffer, sdkLogger).GetAwaiter().GetResult();
            var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            return EnvelopeFraming.WithoutSentAt(bytes[..bytes.IndexOf((byte)'\n')]);
        }

        private static PendingEnvelope? SdkClientReport(SdkEnvelopeProcessor sdk, Dictionary<string, object?> header, IDiagnosticLogger? sdkLogger)
        {
            using var envelope = sdk.TakeClientReport(header);
            if (envelope is null)
            {
                return null;
            }

            using var buffer = new MemoryStream();
            return EnvelopeSerializer.Serialize(envelope, PendingEnvelope.RestoredSequence, EnvelopeSerializer.Categories(envelope), buffer, sdkLogger);
        }

        /// <summary>Runs the worker on its own background thread; the task completes when the thread ends.</summary>
        private static Task RunOnDedicatedThread(Action<CancellationToken> run, ILogger logger, CancellationToken stopping)
        {
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    run(stopping);
                }
                catch (Exception exception)
                {
                    Log.WorkerFailed(logger, exception);
                }
                finally
                {
                    ended.TrySetResult();
                }
            })
            {
                IsBackground = true,
                Name = "ErrorReporting delivery",
            };
            thread.Start();
            return ended.Task;
        }

        private static async Task RunGuardedAsync(Func<CancellationToken, Task> run, ILogger logger, CancellationToken stopping)
        {
            try
            {
                await Task.Run(() => run(stopping), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Log.WorkerFailed(logger, exception);
            }
        }
    }
}
