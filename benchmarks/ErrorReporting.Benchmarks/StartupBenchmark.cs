using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using ErrorReporting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static System.FormattableString;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// Start-up cost (<c>startup</c> mode): each run is a fresh process (this executable in the hidden
/// <c>startup-once</c> mode) that registers the reporter, resolves it and makes its first report, timing each step;
/// the parent aggregates the runs and checks that every child's event reached its <see cref="SentryTestServer"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>library</b> runs from just before <c>new ServiceCollection().AddErrorReporting(o =&gt; o.Dsn = …)</c> to the
/// return of the first <c>ReportHandled(ex)</c>: JIT compilation and assembly loading of the library and its
/// Microsoft.Extensions dependencies included, creating the exception excluded (it is thrown before). The report
/// returns before anything is sent; the child flushes only after the measurement.
/// </para>
/// <para>
/// <b>launch</b> is a <see cref="Stopwatch"/> timestamp the parent takes just before starting the child and passes on
/// its command line; on Linux and Windows the timestamp is a system-wide monotonic clock, so the child can subtract it
/// from its own: <b>launch → Main</b> is the runtime's start, <b>launch → first report</b> everything a real program
/// pays before its first report is accepted (the exception's creation included).
/// </para>
/// <para>
/// <b>sdk</b> is the official SDK on its own, in a fresh process too: <c>SentrySdk.Init(o =&gt; o.Dsn = …)</c> with the
/// SDK's defaults, then its first <c>SentrySdk.CaptureException(ex)</c>: what an application that uses the SDK directly pays.
/// </para>
/// <para>
/// <b>baseline</b> is the physical limit of the same steps, in a fresh process too: a plain singleton that reads its
/// options, and a "report" that takes a <see cref="Guid"/>, a timestamp and enqueues them. It is what dependency
/// injection and options cost on their own on this machine, which no library built on them can go below.
/// </para>
/// </remarks>
internal static class StartupBenchmark
{
    public const string Usage = "startup [--runs 20] [--warmup 1]";
    public const string OnceMode = "startup-once";

    private const string ResultPrefix = "startup-result";
    private static readonly TimeSpan s_childTimeout = TimeSpan.FromSeconds(60);

    private static readonly (string Key, string Label)[] s_metrics =
    [
        ("library_us", "library: AddErrorReporting -> first ReportHandled returned"),
        ("add_us", "  new ServiceCollection().AddErrorReporting(...)"),
        ("build_us", "  BuildServiceProvider()"),
        ("resolve_us", "  GetRequiredService<IErrorReporter>()"),
        ("report_us", "  first ReportHandled(ex)"),
        ("launch_to_main_us", "process: launch -> Main entered"),
        ("exception_us", "  creating the exception (excluded from library)"),
        ("launch_to_report_us", "process: launch -> first ReportHandled returned"),
        ("cpu_to_report_us", "process: CPU time (all threads) to the first report"),
    ];

    private static readonly (string Key, string Label)[] s_baselineMetrics =
    [
        ("library_us", "baseline: the same steps, a plain service + options"),
        ("add_us", "  new ServiceCollection().AddSingleton + AddOptions"),
        ("build_us", "  BuildServiceProvider()"),
        ("resolve_us", "  GetRequiredService<BaselineReporter>()"),
        ("report_us", "  first Report(ex): Guid + timestamp + enqueue"),
        ("launch_to_report_us", "  launch -> first Report returned"),
        ("cpu_to_report_us", "  CPU time (all threads) to the first report"),
    ];

    private static readonly (string Key, string Label)[] s_sdkMetrics =
    [
        ("library_us", "sdk: SentrySdk.Init -> first CaptureException returned"),
        ("build_us", "  SentrySdk.Init(o => o.Dsn = ...)"),
        ("report_us", "  first SentrySdk.CaptureException(ex)"),
        ("launch_to_report_us", "  launch -> first CaptureException returned"),
        ("cpu_to_report_us", "  CPU time (all threads) to the first capture"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var arguments = ModeArguments.Parse(args, "--runs", "--warmup");
        var runs = arguments.GetInt32("--runs", 20, 1, 10_000);
        var warmups = arguments.GetInt32("--warmup", 1, 0, 100);

        await using var server = await SentryTestServer.StartAsync();
        Console.WriteLine("ErrorReporting start-up: a fresh process per run (this executable, mode startup-once), reporting to a SentryTestServer in this process");
        Console.WriteLine(Invariant($"  runs: {runs} measured, after {warmups} warm-up run(s) not counted; each library run is followed by a baseline run and an SDK-only run"));
        Console.WriteLine("  each library child flushes after measuring, and its event is checked on the server");

        var results = new List<Dictionary<string, string>>();
        var baselines = new List<Dictionary<string, string>>();
        var sdks = new List<Dictionary<string, string>>();
        var failures = new List<string>();
        for (var run = -warmups; run < runs; run++)
        {
            foreach (var kind in (string[])["library", "baseline", "sdk"])
            {
                var (result, error) = await RunChildAsync(server.Dsn, kind);
                if (result is null)
                {
                    failures.Add(Invariant($"{kind} run {run}: {error}"));
                }
                else if (run >= 0)
                {
                    (kind switch { "baseline" => baselines, "sdk" => sdks, _ => results }).Add(result);
                }
            }
        }

        Console.WriteLine(Invariant($"  {"(ms)",-58} {"min",8} {"median",8} {"p90",8} {"max",8}"));
        var libraryMedian = PrintRows(results, s_metrics);
        var baselineMedian = PrintRows(baselines, s_baselineMetrics);
        PrintRows(sdks, s_sdkMetrics);
        if (results.Count > 0 && baselines.Count > 0)
        {
            Console.WriteLine(Invariant($"  {"library - baseline (medians)",-58} {"",8} {libraryMedian - baselineMedian,8:0.000}"));
            Console.WriteLine(Invariant($"  library, run by run (ms): {string.Join(" ", results.Select(r => Millis(r, "library_us").ToString("0.00", CultureInfo.InvariantCulture)))}"));
        }

        Console.WriteLine("  median: the middle value (mean of the two middle ones for an even count); p90: the nearest-rank 90th percentile");

        var arrived = server.Events.Select(e => e.EventId).ToHashSet(StringComparer.Ordinal);
        var delivered = results.Concat(sdks).Count(r => r["flushed"] == "True" && arrived.Contains(r["id"]));
        Console.WriteLine(Invariant($"delivered: {delivered}/{results.Count + sdks.Count} measured library and SDK runs' events arrived at the server"));
        if (delivered != results.Count + sdks.Count)
        {
            failures.Add("not every child's event arrived at the server");
        }

        foreach (var failure in failures)
        {
            Console.WriteLine("  " + failure);
        }

        Console.WriteLine(failures.Count == 0 ? "result: PASS" : "result: FAIL");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Prints min / median / p90 / max per metric; returns the median of the first metric.</summary>
    private static double PrintRows(List<Dictionary<string, string>> results, (string Key, string Label)[] metrics)
    {
        if (results.Count == 0)
        {
            return double.NaN;
        }

        var first = double.NaN;
        foreach (var (key, label) in metrics)
        {
            var (min, median, p90, max) = Statistics.Summarize(results.Select(r => Millis(r, key)).ToArray());
            first = double.IsNaN(first) ? median : first;
            Console.WriteLine(Invariant($"  {label,-58} {min,8:0.000} {median,8:0.000} {p90,8:0.000} {max,8:0.000}"));
        }

        return first;
    }

    private static double Millis(Dictionary<string, string> result, string key) => double.Parse(result[key], CultureInfo.InvariantCulture) / 1000;

    /// <summary>
    /// The child (<c>startup-once --dsn … --launched …</c>). Synchronous, and the timed code is in methods of its own,
    /// so that nothing of the library or of Microsoft.Extensions.DependencyInjection is loaded or compiled before timing.
    /// </summary>
    public static int RunOnce(IReadOnlyList<string> args, long mainEntered)
    {
        var arguments = ModeArguments.Parse(args, "--dsn", "--launched", "--kind", "--marks");
        var dsn = arguments.GetString("--dsn") ?? throw new ArgumentException("--dsn is required.");
        var launched = long.Parse(arguments.GetString("--launched") ?? throw new ArgumentException("--launched is required."), CultureInfo.InvariantCulture);

        var beforeException = Stopwatch.GetTimestamp();
        var exception = SampleExceptions.ElevenFrames();
        var stamps = new long[5];
        stamps[0] = Stopwatch.GetTimestamp();
        var started = arguments.GetString("--kind") switch
        {
            "baseline" => MeasureBaseline(dsn, exception, stamps),
            "sdk" => MeasureSdk(dsn, exception, stamps),
            _ => Measure(dsn, exception, stamps),
        };

        // The process's CPU time on every thread (runtime start, JIT, background threads), which other processes on the
        // machine disturb less than the elapsed times.
        var cpu = Environment.CpuUsage.TotalTime;

        if (arguments.GetString("--marks") == "true")
        {
            // For startup-jit: the step stamps, written after the measurement.
            StartupMarks.Log.Steps(string.Join(' ', stamps.Select(s => s.ToString(CultureInfo.InvariantCulture))), Stopwatch.GetTimestamp());
        }

        var (flushed, id) = FlushAndStop(started);
        Console.WriteLine(Invariant(
            $"{ResultPrefix} launch_to_main_us={Micros(launched, mainEntered):0.0} exception_us={Micros(beforeException, stamps[0]):0.0} add_us={Micros(stamps[0], stamps[1]):0.0} build_us={Micros(stamps[1], stamps[2]):0.0} resolve_us={Micros(stamps[2], stamps[3]):0.0} report_us={Micros(stamps[3], stamps[4]):0.0} library_us={Micros(stamps[0], stamps[4]):0.0} launch_to_report_us={Micros(launched, stamps[4]):0.0} cpu_to_report_us={cpu.TotalMicroseconds:0.0} flushed={flushed} id={id}"));
        return flushed ? 0 : 1;
    }

    private static double Micros(long from, long to) => (to - from) * 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>The timed part: stamps[0] is taken by the caller, before this method is compiled.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Started Measure(string dsn, Exception exception, long[] stamps)
    {
        var services = new ServiceCollection().AddErrorReporting(o => o.Dsn = dsn);
        stamps[1] = Stopwatch.GetTimestamp();
        var provider = services.BuildServiceProvider();
        stamps[2] = Stopwatch.GetTimestamp();
        var reporter = provider.GetRequiredService<IErrorReporter>();
        stamps[3] = Stopwatch.GetTimestamp();
        var id = reporter.ReportHandled(exception);
        stamps[4] = Stopwatch.GetTimestamp();
        return new Started(provider, reporter, id.ToString());
    }

    /// <summary>The physical limit of the same steps: a plain singleton with options, and a report that is an id, a timestamp and an enqueue.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Started MeasureBaseline(string dsn, Exception exception, long[] stamps)
    {
        var services = new ServiceCollection().AddSingleton<BaselineReporter>();
        services.AddOptions<BaselineOptions>().Configure(o => o.Dsn = dsn);
        stamps[1] = Stopwatch.GetTimestamp();
        var provider = services.BuildServiceProvider();
        stamps[2] = Stopwatch.GetTimestamp();
        var reporter = provider.GetRequiredService<BaselineReporter>();
        stamps[3] = Stopwatch.GetTimestamp();
        var id = reporter.Report(exception);
        stamps[4] = Stopwatch.GetTimestamp();
        return new Started(provider, reporter, id.ToString("N"));
    }

    /// <summary>The official SDK alone: its init with defaults and its first capture.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Started MeasureSdk(string dsn, Exception exception, long[] stamps)
    {
        stamps[1] = Stopwatch.GetTimestamp();
        var sdk = SentrySdk.Init(o => o.Dsn = dsn);
        stamps[2] = Stopwatch.GetTimestamp();
        stamps[3] = stamps[2];
        var id = SentrySdk.CaptureException(exception);
        stamps[4] = Stopwatch.GetTimestamp();
        return new Started(new SdkHandle(sdk), SdkHandle.Reporter, id.ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (bool Flushed, string Id) FlushAndStop(Started started)
    {
        var flushed = started.Reporter switch
        {
            IErrorReporter reporter => reporter.FlushAsync(TimeSpan.FromSeconds(30)).AsTask().GetAwaiter().GetResult(),
            SdkHandle => SentrySdk.FlushAsync(TimeSpan.FromSeconds(30)).Wait(TimeSpan.FromSeconds(35)),
            _ => true,
        };
        started.Provider.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return (flushed, started.Id);
    }

    private static async Task<(Dictionary<string, string>? Result, string? Error)> RunChildAsync(string dsn, string kind)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Started through `dotnet run` this is the app host; through `dotnet <dll>` it is dotnet, which needs the dll.
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        startInfo.FileName = host;
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            startInfo.ArgumentList.Add(typeof(StartupBenchmark).Assembly.Location);
        }

        startInfo.ArgumentList.Add(OnceMode);
        startInfo.ArgumentList.Add("--dsn");
        startInfo.ArgumentList.Add(dsn);
        startInfo.ArgumentList.Add("--kind");
        startInfo.ArgumentList.Add(kind);
        startInfo.ArgumentList.Add("--launched");
        startInfo.ArgumentList.Add(Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {host}.");

        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(s_childTimeout))
        {
            try
            {
                await child.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                return (null, Invariant($"the child did not finish within {s_childTimeout.TotalSeconds} s"));
            }
        }

        var line = (await output).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(ResultPrefix + " ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            return (null, Invariant($"the child exited with {child.ExitCode}: {line ?? "(no result line)"} {(await error).Trim()}"));
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in line[(ResultPrefix.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            result[pair[..equals]] = pair[(equals + 1)..];
        }

        return (result, null);
    }

    /// <summary>The SDK's init handle as what the child disposes; <see cref="Reporter"/> marks an SDK-only run.</summary>
    private sealed class SdkHandle(IDisposable sdk) : IAsyncDisposable
    {
        public static readonly object Reporter = new SdkHandle(null!);

        public ValueTask DisposeAsync()
        {
            sdk.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class BaselineOptions
    {
        public string? Dsn { get; set; }
    }

    private sealed class BaselineReporter(IOptions<BaselineOptions> options)
    {
        private readonly ConcurrentQueue<(Guid Id, long Ticks, Exception Exception)> _queue = new();
        private readonly string? _dsn = options.Value.Dsn;

        public string? Dsn => _dsn;

        public Guid Report(Exception exception)
        {
            var id = Guid.NewGuid();
            _queue.Enqueue((id, DateTime.UtcNow.Ticks, exception));
            return id;
        }
    }

    /// <summary>What the timed part started; typed with framework types only, so the child's other methods load nothing of the library.</summary>
    private sealed record Started(IAsyncDisposable Provider, object Reporter, string Id);
}
