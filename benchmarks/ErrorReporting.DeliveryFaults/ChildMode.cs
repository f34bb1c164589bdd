using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.DeliveryFaults;

/// <summary>
/// One side of one scenario, in its own process (the SDK's hub is process-global). It reports, prints what the
/// parent counts, flushes for <see cref="FlushTimeout"/>, and closes when the parent closes its standard input.
/// Lines on standard output: <c>ready</c>; <c>start:&lt;UTC ticks&gt;</c> when the first paced report returned (before the first of concurrent reports); one
/// <c>id:&lt;event id&gt;</c> per report (32 zeros when the report was not accepted); <c>end:&lt;UTC ticks&gt;</c> after the last; <c>reported:&lt;n&gt;</c>;
/// <c>flushed:&lt;True|False|n/a&gt; &lt;seconds&gt;</c>; <c>closed</c>. With transactions, <c>transactions:&lt;n&gt;</c> after them,
/// before the first exception.
/// </summary>
internal static class ChildMode
{
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = ChildOptions.Parse(args);
        using (var side = options.Side == Side.Sdk ? (IReportingSide)new SdkSide(options) : new ErrorReportingSide(options))
        {
            Console.WriteLine("ready");
            if (!options.DeliverOnly)
            {
                var ids = options.Transactions > 0 ? ReportTransactionsThenErrors(side, options)
                    : options.Threads > 0 ? ReportConcurrently(side, options)
                    : ReportPaced(side, options);
                Console.WriteLine("reported:" + ids.ToString(CultureInfo.InvariantCulture));
            }

            if (options.WaitForKill)
            {
                // The parent kills this process (SIGKILL); if the parent goes away instead, standard input closes.
                await Console.In.ReadToEndAsync();
                return 0;
            }

            var started = Stopwatch.GetTimestamp();
            var flushed = await side.FlushAsync(FlushTimeout);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flushed:{(flushed is { } result ? result.ToString() : "n/a")} {Stopwatch.GetElapsedTime(started).TotalSeconds:0.000}"));

            // The parent decides when the run is over (everything arrived, or nothing more for a while).
            await Console.In.ReadToEndAsync();
        }

        Console.WriteLine("closed");
        return 0;
    }

    /// <summary>
    /// Reports <see cref="ChildOptions.Count"/> messages from one thread, one every <see cref="ChildOptions.IntervalMilliseconds"/>.
    /// A slow call (the SDK's first capture reads symbol files, and takes seconds on a loaded machine) delays the
    /// reports after it but never makes them catch up in a burst, so they stay spread over the faults. <c>start:</c>
    /// is printed once the first report returned: the parent's fault clocks start there.
    /// </summary>
    private static int ReportPaced(IReportingSide side, ChildOptions options)
    {
        var interval = TimeSpan.FromMilliseconds(options.IntervalMilliseconds);
        var due = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < options.Count; i++)
        {
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }

            var id = side.Message($"paced report {i}");
            if (i == 0)
            {
                Console.WriteLine("start:" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
            }

            Console.WriteLine("id:" + id);
            due = due + interval > clock.Elapsed ? due + interval : clock.Elapsed;
        }

        Console.WriteLine("end:" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
        return options.Count;
    }

    /// <summary>
    /// Finishes <see cref="ChildOptions.Transactions"/> transactions, then reports <see cref="ChildOptions.Count"/>
    /// fresh (not thrown) exceptions at once from the same thread: a flood of one kind of envelope followed by errors.
    /// </summary>
    /// <remarks>
    /// One exception is reported and flushed first (<c>warmup:&lt;id&gt;</c>, not counted): a cold first capture reads
    /// symbol files for up to seconds on a loaded machine, time in which a worker drains its queue, so without it the
    /// row would measure the first capture's cost instead of the queue.
    /// </remarks>
    private static int ReportTransactionsThenErrors(IReportingSide side, ChildOptions options)
    {
        var warmup = side.Exception(new InvalidOperationException("warm-up before the transactions"));
        side.FlushAsync(FlushTimeout).GetAwaiter().GetResult();
        Console.WriteLine("warmup:" + warmup);
        var exceptions = Enumerable.Range(0, options.Count).Select(i => new InvalidOperationException($"after the transactions {i}")).ToArray();
        for (var i = 0; i < options.Transactions; i++)
        {
            SentrySdk.StartTransaction($"transaction {i}", "fault-table").Finish();
        }

        Console.WriteLine("transactions:" + options.Transactions.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine("start:" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
        var ids = exceptions.Select(side.Exception).ToList();
        Console.WriteLine("end:" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
        foreach (var id in ids)
        {
            Console.WriteLine("id:" + id);
        }

        return options.Count;
    }

    /// <summary>Reports <see cref="ChildOptions.Count"/> fresh (not thrown) exceptions from <see cref="ChildOptions.Threads"/> threads at once, then prints the ids.</summary>
    private static int ReportConcurrently(IReportingSide side, ChildOptions options)
    {
        var perThread = Enumerable.Range(0, options.Threads)
            .Select(t => Enumerable.Range(0, (options.Count / options.Threads) + (t < options.Count % options.Threads ? 1 : 0))
                .Select(i => new InvalidOperationException($"thread {t} report {i}"))
                .ToArray())
            .ToArray();
        var ids = perThread.Select(batch => new SentryId[batch.Length]).ToArray();
        using var go = new Barrier(options.Threads + 1);
        var threads = perThread.Select((batch, t) => new Thread(() =>
        {
            go.SignalAndWait();
            for (var i = 0; i < batch.Length; i++)
            {
                ids[t][i] = side.Exception(batch[i]);
            }
        })
        { IsBackground = true, Name = $"reporter {t}" }).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        Console.WriteLine("start:" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
        var started = Stopwatch.GetTimestamp();
        go.SignalAndWait();
        foreach (var thread in threads)
        {
            thread.Join();
        }

        Console.WriteLine("end:" + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"calls:{Stopwatch.GetElapsedTime(started).TotalSeconds:0.000}"));
        foreach (var id in ids.SelectMany(batch => batch))
        {
            Console.WriteLine("id:" + id);
        }

        return options.Count;
    }

    private interface IReportingSide : IDisposable
    {
        SentryId Message(string text);

        SentryId Exception(Exception exception);

        /// <summary>Flushes; returns the flush's answer, or <see langword="null"/> when the side gives none.</summary>
        Task<bool?> FlushAsync(TimeSpan timeout);
    }

    /// <summary>The SDK with its defaults: its own background worker, HTTP transport and (with a cache) caching transport.</summary>
    private sealed class SdkSide : IReportingSide
    {
        private readonly IDisposable _sdk;

        public SdkSide(ChildOptions options)
            => _sdk = SentrySdk.Init(o =>
            {
                o.Dsn = options.Dsn;
                if (options.Cache is { } cache)
                {
                    o.CacheDirectoryPath = cache;
                }

                if (options.Queue is { } queue)
                {
                    o.MaxQueueItems = queue;
                }

                if (options.Traces)
                {
                    o.TracesSampleRate = 1;
                }
            });

        public SentryId Message(string text) => SentrySdk.CaptureMessage(text);

        public SentryId Exception(Exception exception) => SentrySdk.CaptureException(exception);

        public async Task<bool?> FlushAsync(TimeSpan timeout)
        {
            await SentrySdk.FlushAsync(timeout);
            return null; // the SDK's flush does not say whether it finished
        }

        public void Dispose() => _sdk.Dispose(); // SentrySdk.Close: flushes for ShutdownTimeout (2 s)
    }

    /// <summary>ErrorReporting as an application registers it; its delivery engine is installed into the SDK automatically.</summary>
    private sealed class ErrorReportingSide : IReportingSide
    {
        private readonly ServiceProvider _provider;
        private readonly IErrorReporter _reporter;

        public ErrorReportingSide(ChildOptions options)
        {
            _provider = new ServiceCollection()
                .AddErrorReporting(o =>
                {
                    o.Dsn = options.Dsn;
                    if (options.Cache is { } cache)
                    {
                        o.CacheDirectoryPath = cache;
                    }

                    if (options.Queue is { } queue)
                    {
                        o.MaxQueueItems = queue;
                    }

                    if (options.Traces)
                    {
                        o.TracesSampleRate = 1;
                    }
                })
                .BuildServiceProvider();

            // The first resolve initialises the SDK (and starts the engine, which restores what a cache holds).
            _reporter = _provider.GetRequiredService<IErrorReporter>();
        }

        public SentryId Message(string text) => _reporter.ReportMessage(text);

        public SentryId Exception(Exception exception) => _reporter.ReportHandled(exception);

        public async Task<bool?> FlushAsync(TimeSpan timeout) => await _reporter.FlushAsync(timeout);

        // Flushes for ShutdownTimeout (2 s) and closes the SDK.
        public void Dispose() => _provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
