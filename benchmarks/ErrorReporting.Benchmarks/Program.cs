using System.Diagnostics;
using BenchmarkDotNet.Running;
using ErrorReporting.Benchmarks;

// dotnet run -c Release --project benchmarks/ErrorReporting.Benchmarks -- <mode or BenchmarkDotNet arguments>
//   --filter '*'             all micro-benchmarks (BenchmarkDotNet)
//   --filter '*' --job Dry   each micro-benchmark once (CI: keeps them from rotting, judges nothing)
//   throughput [--seconds 10] [--queue 10000]   end to end, HTTP to a loopback SentryTestServer (ThroughputBenchmark)
//   startup [--runs 20]      a fresh process per run: registration to first report (StartupBenchmark)
//   startup-jit              one traced child per kind: the methods JIT-compiled per step, by owner (StartupJitProfile)
//   profile [--scenario errorreporting] [--kind exception]   one capture path in a plain loop (ProfileMode), for profilers
//   breakdown                what an exception event is made of on the caller's thread, part by part (BreakdownMode)
// See benchmarks/README.md. Exit code: 0 when everything ran and passed its checks, 1 when not, 2 for bad arguments.

// First, so that a start-up child measures its own launch up to here and nothing more.
var mainEntered = Stopwatch.GetTimestamp();
try
{
    return args switch
    {
        [StartupBenchmark.OnceMode, .. var rest] => StartupBenchmark.RunOnce(rest, mainEntered),
        ["throughput", .. var rest] => await ThroughputBenchmark.RunAsync(rest),
        ["startup", .. var rest] => await StartupBenchmark.RunAsync(rest),
        ["startup-jit", .. var rest] => await StartupJitProfile.RunAsync(rest),
        ["profile", .. var rest] => ProfileMode.Run(rest),
        ["breakdown", .. var rest] => BreakdownMode.Run(rest),
        _ => RunMicroBenchmarks(args),
    };
}
catch (ArgumentException exception) when (exception.Source == typeof(ModeArguments).Assembly.GetName().Name)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine($"Usage: {ThroughputBenchmark.Usage}");
    Console.Error.WriteLine($"       {StartupBenchmark.Usage}");
    Console.Error.WriteLine($"       {StartupJitProfile.Usage}");
    Console.Error.WriteLine($"       {ProfileMode.Usage}");
    Console.Error.WriteLine($"       {BreakdownMode.Usage}");
    Console.Error.WriteLine("       <BenchmarkDotNet arguments>, e.g. --filter '*' [--job Dry]");
    return 2;
}

// Fails when a benchmark could not be built or run (an exception in a setup, a cleanup or the benchmark itself):
// BenchmarkDotNet reports those but still returns normally.
static int RunMicroBenchmarks(string[] args)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(ModeArguments).Assembly).Run(args).ToArray();
    var failed = summaries.SelectMany(s => s.Reports).Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo).ToArray();
    foreach (var benchmark in failed)
    {
        Console.Error.WriteLine($"// FAILED: {benchmark}");
    }

    return summaries.Any(s => s.HasCriticalValidationErrors) || failed.Length > 0 ? 1 : 0;
}
