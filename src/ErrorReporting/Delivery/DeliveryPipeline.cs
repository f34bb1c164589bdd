using System.Diagnostics.Metrics;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Sending;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// The running engine, built in one place (<see cref="Create"/>) in the order the data flows: queue → intake (the SDK's
/// serializer) → store (memory, or the offline cache) → sender → transport. Creating it does no I/O; the offline
/// cache is opened, and the HTTP client created, on the engine's background tasks.
/// </summary>
internal sealed class DeliveryPipeline
{
    private readonly IMeterFactory? _meterFactory;
    private readonly ILogger _logger;
    private Task _running = Task.CompletedTask;
    private DeliveryMeter? _meter;
    private bool _faulted;

    private DeliveryPipeline(
        EnvelopeQueue queue,
        IEnvelopeStore store,
        FlushTracker flush,
        EnvelopeIntake intake,
        EnvelopeSender sender,
        SendSchedule schedule,
        IEnvelopeTransport transport,
        DeliveryCounters counters,
        DropNotices notices,
        IMeterFactory? meterFactory,
        ILogger logger,
        string server)
    {
        Server = server;
        Notices = notices;
        Queue = queue;
        Store = store;
        Flush = flush;
        Intake = intake;
        Sender = sender;
        Schedule = schedule;
        Transport = transport;
        Counters = counters;
        _meterFactory = meterFactory;
        _logger = logger;
    }

    /// <summary>Gets the DSN's server as <c>host:port</c> (never its key), for logs and the health check.</summary>
    public string Server { get; }

    public EnvelopeQueue Queue { get; }

    public IEnvelopeStore Store { get; }

    public FlushTracker Flush { get; }

    public EnvelopeIntake Intake { get; }

    public EnvelopeSender Sender { get; }

    public SendSchedule Schedule { get; }

    public IEnvelopeTransport Transport { get; }

    public DeliveryCounters Counters { get; }

    /// <summary>Gets the engine's logger.</summary>
    public ILogger Logger => _logger;

    /// <summary>Gets the throttled log of drops.</summary>
    public DropNotices Notices { get; }

    /// <summary>Gets a value indicating whether a background loop failed (a bug), so that envelopes are no longer sent.</summary>
    public bool Faulted => Volatile.Read(ref _faulted);

    /// <summary>Gets the meter, once the pipeline runs.</summary>
    public Meter? Meter => Volatile.Read(ref _meter)?.Meter;

    /// <summary>Gets a task that completes when the offline cache is open and the loops run (or failed to start).</summary>
    public Task Started { get; private set; } = Task.CompletedTask;

    /// <summary>Gets the number of envelopes accepted and not yet delivered or dropped.</summary>
    public long Queued => Queue.Count + Store.Count;

    /// <summary>Builds the pipeline's parts for the options: objects only (nothing is opened, read or connected; the endpoint is read at the first send).</summary>
    public static DeliveryPipeline Create(
        SentryOptions options,
        DeliveryCounters counters,
        RateLimits rateLimits,
        ILogger logger,
        IMeterFactory? meterFactory,
        TimeProvider time,
        Random random,
        Func<IEnvelopeTransport>? transportFactory)
    {
        var queue = new EnvelopeQueue(options.MaxQueueItems);
        IEnvelopeStore store = string.IsNullOrWhiteSpace(options.CacheDirectoryPath) || options.DisableFileWrite
            ? new MemoryEnvelopeStore()
            : new DiskEnvelopeStore(Path.Combine(options.CacheDirectoryPath, "ErrorReporting"), options.Dsn ?? string.Empty, options.MaxCacheItems, counters, logger);
        var flush = new FlushTracker(store);
        var sdk = new SdkEnvelopeProcessor(options);
        var intake = new EnvelopeIntake(queue, sdk, store, flush, counters, SpotlightForwarder.Create(options, logger), options.DiagnosticLogger, logger);
        var transport = transportFactory?.Invoke()
            ?? new HttpEnvelopeTransport(options, (options as ErrorReportingOptions)?.SendTimeout ?? ErrorReportingOptions.DefaultSendTimeout, time);
        var schedule = new SendSchedule(random);
        var notices = new DropNotices(counters, logger, time);
        _ = Uri.TryCreate(options.Dsn, UriKind.Absolute, out var dsn);
        var sender = new EnvelopeSender(store, queue, transport, rateLimits, counters, notices, schedule, flush, sdk, options.DiagnosticLogger, time, logger, options.SendClientReports, SecretRedactor.KeysOf(dsn));
        return new DeliveryPipeline(queue, store, flush, intake, sender, schedule, transport, counters, notices, meterFactory, logger, dsn?.Authority ?? "(no DSN)");
    }

    /// <summary>Starts the background work: opens the store, publishes the meter, runs the intake and the sender.</summary>
    public void Run(TimeProvider time, CancellationToken stopping)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Started = started.Task;
        _running = Task.Run(
            async () =>
            {
                try
                {
                    var restored = Store.Open();
                    Log.Started(_logger, Server, Queue.Room.Capacity, Store is DiskEnvelopeStore { IsOnDisk: true } disk ? disk.Directory : "none");
                    if (restored > 0)
                    {
                        // What an earlier process left waited through a failure or a restart: sent paced.
                        Schedule.Drain(time.GetUtcNow(), restored);
                    }

                    Volatile.Write(ref _meter, new DeliveryMeter(_meterFactory, Counters, () => Queued, () => Store is DiskEnvelopeStore { IsOnDisk: true } ? Store.Count : 0));
                }
                finally
                {
                    started.TrySetResult();
                }

                await Task.WhenAll(Guarded(Intake.RunAsync, stopping), Guarded(Sender.RunAsync, stopping)).ConfigureAwait(false);
            },
            CancellationToken.None);
    }

    /// <summary>
    /// Waits for the loops to end (the caller has closed the queue and canceled them), then releases everything.
    /// Returns how many envelopes were left undelivered, and how many of them the offline cache keeps for the next start
    /// (the rest, in memory, are lost).
    /// </summary>
    public (long Left, long Kept) Stop()
    {
        try
        {
            _running.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Failures were logged when they happened.
        }

        Flush.Abandon();
        var left = Queued;
        var kept = Store is DiskEnvelopeStore { IsOnDisk: true } ? Store.Count : 0;
        while (Queue.Reader.TryRead(out var entry))
        {
            (entry as Envelope)?.Dispose();
            (entry as FlushMarker)?.Complete(false);
        }

        Intake.Dispose();
        Store.Dispose();
        Transport.Dispose();
        _meter?.Dispose();
        return (left, kept);
    }

    private async Task Guarded(Func<CancellationToken, Task> run, CancellationToken stopping)
    {
        try
        {
            await run(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception exception)
        {
            // A bug: say so where it is looked for (the log, the health check) and release the flushes waiting on it.
            Volatile.Write(ref _faulted, true);
            Log.WorkerFailed(_logger, exception);
            Flush.Abandon();
        }
    }
}
