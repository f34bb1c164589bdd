using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using ErrorReporting.Delivery;
using ErrorReporting.Delivery.Accounting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static System.FormattableString;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// End-to-end throughput (<c>throughput</c> mode): the real pipeline (queue, worker, sender, HTTP transport with gzip)
/// delivering to a server on loopback in the same process (<see cref="TestServerEnd"/> by default), fed by one producer
/// thread with distinct exceptions thrown before the timed window.
/// </summary>
/// <remarks>
/// <para>
/// The producer reports only while <c>DeliveryEngine.QueuedItems</c> is below half the queue capacity and otherwise sleeps 1 ms
/// (a spinning producer would take one of the two cores from the worker, the sender and the server), so the queue
/// never overflows and every report is accepted: the run measures what the pipeline delivers, not what it drops.
/// </para>
/// <para>
/// The window starts just before the first timed report (t0) and ends when the producer's clock reaches t0 plus the
/// requested seconds (t1). <b>events/s</b> = events the server recorded in [t0, t1) / (t1 − t0). Reports still queued
/// at t1 are delivered by the flush that follows (the drain, until t2) and are counted in the <b>sustained</b> rate
/// = events reported in the window / (t2 − t0). CPU time and allocations cover [t0, t2] and the whole process:
/// the producer, the library, the HTTP client and the in-process server.
/// </para>
/// </remarks>
internal static class ThroughputBenchmark
{
    public const string Usage = "throughput [--seconds 10] [--queue 10000] [--warmup 1000] [--pool <exceptions; default 15000 per second>] [--server sentry|minimal] [--max-breadcrumbs 100]";

    /// <summary>Exceptions thrown in advance per second of window, unless <c>--pool</c> says otherwise.</summary>
    private const int DefaultPoolPerSecond = 15_000;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var arguments = ModeArguments.Parse(args, "--seconds", "--queue", "--warmup", "--pool", "--server", "--max-breadcrumbs");
        var maxBreadcrumbs = arguments.GetInt32("--max-breadcrumbs", new SentryOptions().MaxBreadcrumbs, 0, 1000);
        var seconds = arguments.GetDouble("--seconds", 10, 0.1, 3600);
        var capacity = arguments.GetInt32("--queue", 10_000, 2, 1_000_000);
        var warmup = arguments.GetInt32("--warmup", 1_000, 0, 1_000_000);
        var poolSize = arguments.GetInt32("--pool", (int)Math.Min(50_000_000, Math.Ceiling(seconds * DefaultPoolPerSecond)), 1, 50_000_000);
        Func<Task<IThroughputServer>> startServer = arguments.GetString("--server") switch
        {
            null or "sentry" => TestServerEnd.StartAsync,
            "minimal" => MinimalEnvelopeServer.StartAsync,
            var other => throw new ArgumentException($"The option '--server' must be 'sentry' or 'minimal', not '{other}'."),
        };
        var threshold = Math.Max(1, capacity / 2);

        await using var server = await startServer();
        Console.WriteLine("ErrorReporting end-to-end throughput: ReportHandled (SDK processing on the caller) -> delivery engine queue -> worker (SDK serialization) -> HTTP + gzip -> server on loopback, same process");
        Console.WriteLine(Invariant($"  machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC"));
        Console.WriteLine($"  server: {server.Description}");
        Console.WriteLine(Invariant($"  settings: window {seconds:0.###} s, queue capacity {capacity:N0} (the producer pauses while Queued >= {threshold:N0}), warm-up {warmup:N0} events, MaxBreadcrumbs {maxBreadcrumbs} (the SDK adds one per exception captured; every event carries the scope's)"));

        // Distinct exception objects: the same object reported twice is deduplicated and sends nothing.
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var throwing = Stopwatch.StartNew();
        var pool = new Exception?[warmup + poolSize];
        for (var i = 0; i < pool.Length; i++)
        {
            pool[i] = SampleExceptions.ElevenFrames();
        }

        var ids = new SentryId[pool.Length];
        var poolBytes = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        Console.WriteLine(Invariant($"  exceptions: {pool.Length:N0} thrown before timing (11 frames, as CaptureBenchmarks) in {throwing.Elapsed.TotalSeconds:0.00} s, {poolBytes / 1048576.0:N0} MB"));

        var services = new ServiceCollection();
        services.AddErrorReporting(options =>
        {
            options.Dsn = server.Dsn;
            options.MaxQueueItems = capacity;
            options.Environment = "benchmark";
            options.Release = "benchmarks@1.0.0";
            options.MaxBreadcrumbs = maxBreadcrumbs;
        });
        await using var provider = services.BuildServiceProvider();
        var reporter = provider.GetRequiredService<IErrorReporter>();
        var engine = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value.BackgroundWorker as DeliveryEngine ?? throw new InvalidOperationException("ErrorReporting's delivery engine is not serving the SDK.");
        var drainTimeout = TimeSpan.FromSeconds(120);

        // Warm-up: JIT, tiering, the first connection. Delivered, checked, but outside the window.
        var warmupRun = await ProduceAsync(reporter, engine, server, pool, ids, 0, warmup, seconds: double.PositiveInfinity, threshold);
        var warmupFlushed = await reporter.FlushAsync(drainTimeout);
        Console.WriteLine(Invariant($"warm-up: {warmupRun.Next:N0} reported, {server.EventCount:N0} delivered, flushed: {warmupFlushed}, {Stopwatch.GetElapsedTime(warmupRun.Start.Timestamp).TotalSeconds:0.00} s"));

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();

        var window = await ProduceAsync(reporter, engine, server, pool, ids, warmup, pool.Length, seconds, threshold);
        var counters = engine.Counters;
        var queuedAtEnd = engine.QueuedItems;
        var flushed = await reporter.FlushAsync(drainTimeout);
        var drained = Snapshot.Take(server);

        var reportedInWindow = window.Next - warmup;
        var windowSeconds = Seconds(window.End.Timestamp - window.Start.Timestamp);
        var totalSeconds = Seconds(drained.Timestamp - window.Start.Timestamp);
        var deliveredInWindow = window.End.ServerEvents - window.Start.ServerEvents;
        var exhausted = window.Next == pool.Length && windowSeconds < seconds;

        Console.WriteLine(Invariant($"window: {windowSeconds:0.000} s{(exhausted ? $"  WARNING: the {poolSize:N0} pre-thrown exceptions ran out before {seconds:0.###} s; raise --pool" : "")}"));
        Console.WriteLine(Invariant($"  reported: {reportedInWindow:N0} ({reportedInWindow / windowSeconds:N0}/s); producer paused {window.Pauses:N0} x 1 ms; queued at the window's end: {queuedAtEnd:N0}"));
        Console.WriteLine(Invariant($"  delivered to the server within the window: {deliveredInWindow:N0}"));
        Console.WriteLine(Invariant($"  throughput: {deliveredInWindow / windowSeconds:N0} events/s  (events the server recorded between the first timed report and the window's end / window length)"));
        Console.WriteLine(Invariant($"  delivered per full second of the window: {(window.PerSecond.Count == 0 ? "-" : string.Join(" ", window.PerSecond))}"));
        Console.WriteLine(Invariant($"drain: flush {(flushed ? "completed" : "TIMED OUT")} after {Seconds(drained.Timestamp - window.End.Timestamp):0.000} s"));
        Console.WriteLine(Invariant($"  sustained: {reportedInWindow / totalSeconds:N0} events/s  (events reported in the window / (window + drain))"));

        var received = server.EventIds();
        var check = IdCheck.Run(ids, window.Next, received);
        var rejections = server.Rejections;
        Console.WriteLine("delivery:");
        Console.WriteLine(Invariant($"  server events: {received.Count:N0} (warm-up {warmupRun.Next:N0} + window {reportedInWindow:N0} reported); counted live: {server.EventCount:N0}; client counted delivered: {counters.Delivered:N0}"));
        Console.WriteLine(Invariant($"  dropped: {counters.DroppedTotal:N0} ({string.Join(", ", Enum.GetValues<DiscardReason>().Select(r => Invariant($"{r.ToWireName()} {counters.Dropped(r)}")))})"));
        Console.WriteLine(Invariant($"  retries: {counters.Retries:N0}; server rejections: {rejections:N0}"));
        Console.WriteLine(Invariant($"  ids: {check.Returned:N0} returned (empty {check.Empty:N0}, returned twice {check.ReturnedTwice:N0}), {received.Count:N0} received: missing {check.Missing:N0}, duplicated {check.Duplicated:N0}, unexpected {check.Unexpected:N0} -> {(check.ExactlyOnce ? "every returned id arrived exactly once" : "NOT every returned id arrived exactly once")}"));

        var cpu = drained.Cpu - window.Start.Cpu;
        var allocated = drained.Allocated - window.Start.Allocated;
        var perEvent = Math.Max(1, reportedInWindow);
        Console.WriteLine("cost over window + drain, whole process (producer, library, HTTP client and the in-process server):");
        Console.WriteLine(Invariant($"  CPU (Process.TotalProcessorTime): {cpu.TotalSeconds:0.000} s (user {(drained.UserCpu - window.Start.UserCpu).TotalSeconds:0.000} s, system {(drained.SystemCpu - window.Start.SystemCpu).TotalSeconds:0.000} s) = {cpu.TotalSeconds / totalSeconds:0.00} cores busy, {cpu.TotalMicroseconds / perEvent:N1} us/event"));
        Console.WriteLine(Invariant($"  GC allocated (GC.GetTotalAllocatedBytes): {allocated / 1048576.0:N1} MB = {allocated / 1024.0 / perEvent:N1} KB/event; collections gen0 {drained.Gen0 - window.Start.Gen0}, gen1 {drained.Gen1 - window.Start.Gen1}, gen2 {drained.Gen2 - window.Start.Gen2}; GC pauses {(drained.GcPause - window.Start.GcPause).TotalMilliseconds:N0} ms"));
        Console.WriteLine(Invariant($"  producer thread allocated during the window: {window.ProducerAllocated:N0} B ({(double)window.ProducerAllocated / perEvent:0.##} B/report)"));

        var failures = new List<string>();
        if (!warmupFlushed || !flushed)
        {
            failures.Add("a flush timed out");
        }

        if (counters.DroppedTotal != 0)
        {
            failures.Add("events were dropped");
        }

        if (!check.ExactlyOnce)
        {
            failures.Add("not every returned id arrived exactly once");
        }

        if (rejections != 0)
        {
            failures.Add("the server rejected requests");
        }

        if (server.EventCount != received.Count)
        {
            failures.Add("the live event count differs from the server's list of events");
        }

        Console.WriteLine(failures.Count == 0 ? "result: PASS" : $"result: FAIL ({string.Join("; ", failures)})");
        return failures.Count == 0 ? 0 : 1;
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    /// <summary>Reports pool[from..to) on a dedicated thread until done or the window is over, pacing on <c>QueuedItems</c>.</summary>
    private static Task<ProducerRun> ProduceAsync(
        IErrorReporter reporter, DeliveryEngine engine, IThroughputServer server, Exception?[] pool, SentryId[] ids, int from, int to, double seconds, int threshold)
        => Task.Factory.StartNew(
            () => Produce(reporter, engine, server, pool, ids, from, to, seconds, threshold),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private static ProducerRun Produce(
        IErrorReporter reporter, DeliveryEngine engine, IThroughputServer server, Exception?[] pool, SentryId[] ids, int from, int to, double seconds, int threshold)
    {
        var perSecond = new List<long>(double.IsFinite(seconds) ? (int)Math.Ceiling(seconds) + 1 : 0);
        var pauses = 0L;
        var next = from;
        var start = Snapshot.Take(server);
        var deadline = double.IsFinite(seconds) ? start.Timestamp + (long)(seconds * Stopwatch.Frequency) : long.MaxValue;
        var nextMark = start.Timestamp + Stopwatch.Frequency;
        var lastMarkCount = start.ServerEvents;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        while (next < to)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                break;
            }

            if (now >= nextMark && perSecond.Count < perSecond.Capacity)
            {
                var count = server.EventCount;
                perSecond.Add(count - lastMarkCount);
                lastMarkCount = count;
                nextMark += Stopwatch.Frequency;
            }

            if (engine.QueuedItems >= threshold)
            {
                pauses++;
                Thread.Sleep(1);
                continue;
            }

            ids[next] = reporter.ReportHandled(pool[next]!);
            pool[next] = null; // once processed, nothing but the reporter's weak table refers to it
            next++;
        }

        var producerAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new ProducerRun(start, Snapshot.Take(server), next, pauses, producerAllocated, perSecond);
    }

    private sealed record ProducerRun(Snapshot Start, Snapshot End, int Next, long Pauses, long ProducerAllocated, List<long> PerSecond);

    private readonly record struct Snapshot(
        long Timestamp, TimeSpan Cpu, TimeSpan UserCpu, TimeSpan SystemCpu, long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long ServerEvents)
    {
        public static Snapshot Take(IThroughputServer server)
        {
            using var process = Process.GetCurrentProcess();
            return new Snapshot(
                Stopwatch.GetTimestamp(),
                process.TotalProcessorTime,
                process.UserProcessorTime,
                process.PrivilegedProcessorTime,
                GC.GetTotalAllocatedBytes(precise: true),
                GC.CollectionCount(0),
                GC.CollectionCount(1),
                GC.CollectionCount(2),
                GC.GetTotalPauseDuration(),
                server.EventCount);
        }
    }

    /// <summary>Compares the ids the reporter returned with the ids the server received.</summary>
    private sealed record IdCheck(int Returned, int Empty, int ReturnedTwice, int Missing, int Duplicated, int Unexpected)
    {
        public bool ExactlyOnce => Empty == 0 && ReturnedTwice == 0 && Missing == 0 && Duplicated == 0 && Unexpected == 0;

        public static IdCheck Run(SentryId[] ids, int count, IReadOnlyList<string?> received)
        {
            var arrivals = new Dictionary<Guid, int>(received.Count);
            var unparsable = 0;
            foreach (var text in received)
            {
                if (Guid.TryParse(text, out var id))
                {
                    arrivals[id] = arrivals.GetValueOrDefault(id) + 1;
                }
                else
                {
                    unparsable++;
                }
            }

            var returned = new HashSet<Guid>(count);
            int empty = 0, twice = 0, missing = 0;
            for (var i = 0; i < count; i++)
            {
                if (ids[i] == SentryId.Empty)
                {
                    empty++;
                }
                else if (!returned.Add(ids[i]))
                {
                    twice++;
                }
                else if (!arrivals.ContainsKey(ids[i]))
                {
                    missing++;
                }
            }

            var duplicated = arrivals.Values.Count(n => n > 1);
            var unexpected = unparsable + arrivals.Keys.Count(id => !returned.Contains(id));
            return new IdCheck(count, empty, twice, missing, duplicated, unexpected);
        }
    }
}
