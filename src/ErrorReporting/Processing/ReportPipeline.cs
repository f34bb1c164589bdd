using System.Diagnostics.Metrics;
using ErrorReporting.Configuration;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Reporting;
using ErrorReporting.Serialization;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Processing;

/// <summary>
/// The background half of an enabled reporter: store, transport, worker (queue → event → envelope) and sender
/// (store → transport), wired together and running. It is built on a thread-pool thread after the reporter is created,
/// so that resolving the reporter and the first report pay only for the queue.
/// </summary>
internal sealed class ReportPipeline
{
    private readonly Task _workerTask;
    private readonly Task _senderTask;
    private readonly ReportWorker _worker;
    private readonly IEnvelopeTransport _transport;

    private ReportPipeline(ReportWorker worker, EnvelopeSender sender, IEnvelopeStore store, IEnvelopeTransport transport, FlushTracker flush, ILogger logger, CancellationToken stopping)
    {
        _worker = worker;
        _transport = transport;
        Sender = sender;
        Store = store;
        Flush = flush;
        Logger = logger;
        _workerTask = RunOnDedicatedThread(worker.Run, logger, stopping);
        _senderTask = RunGuardedAsync(sender.RunAsync, logger, stopping);
    }

    public IEnvelopeStore Store { get; }

    public EnvelopeSender Sender { get; }

    public FlushTracker Flush { get; }

    public ILogger Logger { get; }

    public static ReportPipeline Start(
        ErrorReportingOptions options,
        Dsn dsn,
        Func<IEnvelopeTransport> createTransport,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        IMeterFactory? meterFactory,
        ReportQueue queue,
        ReportedExceptions reported,
        ReporterCounters counters,
        RateLimits rateLimits,
        CancellationToken stopping)
    {
        var logger = loggerFactory.CreateLogger(Log.Category);
        var writer = new EventWriter();
        var sdk = writer.Sdk.ToArray();

        // The pieces call each other back (store → sender wake-up, worker and sender → flush progress); the lambdas
        // capture locals that are assigned before the worker and the sender start.
        EnvelopeSender? sender = null;
        FlushTracker? flush = null;
        var store = CreateStore(options, dsn, sdk, counters, logger, () => sender?.Wake());
        var transport = createTransport();
        var worker = new ReportWorker(queue, reported, new EventBuilder(options), writer, store, counters, options.BeforeSend, time, logger, () => flush?.NotifyProgress());
        flush = new FlushTracker(() => worker.ProcessedCount, () => store.OldestSequence);
        sender = new EnvelopeSender(store, transport, rateLimits, counters, time, logger, options.SendClientReports, sdk, flush.NotifyProgress);
        counters.Publish(meterFactory, () => store.EventCount);
        Log.Enabled(logger, dsn.Redacted, options.Environment, options.Release);
        return new ReportPipeline(worker, sender, store, transport, flush, logger, stopping);
    }

    /// <summary>Waits for the worker and the sender to stop (the caller has canceled them), then releases everything.</summary>
    public async Task StopAsync()
    {
        Sender.Wake();
        await Task.WhenAll(_workerTask, _senderTask).ConfigureAwait(false);
        Flush.Abandon();
        _worker.Dispose();
        Store.Dispose();
        _transport.Dispose();
    }

    private static IEnvelopeStore CreateStore(ErrorReportingOptions options, Dsn dsn, ReadOnlyMemory<byte> sdk, ReporterCounters counters, ILogger logger, Action onAdded)
    {
        if (!string.IsNullOrWhiteSpace(options.CacheDirectory)
            && DiskEnvelopeStore.Open(options.CacheDirectory, $"{dsn.EnvelopeUri}|{dsn.PublicKey}", options.MaxCacheItems, sdk, counters, logger, onAdded) is { } disk)
        {
            return disk;
        }

        return new MemoryEnvelopeStore(onAdded);
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
            Name = "ErrorReporting worker",
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
