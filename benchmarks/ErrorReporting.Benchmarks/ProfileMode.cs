using System.Diagnostics;
using static System.FormattableString;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The <c>profile</c> mode: one scenario in a plain loop, for quick before/after measurements and for attaching a
/// profiler (<c>dotnet-trace collect -- …</c>). Each round captures <c>--calls</c> fresh pre-thrown exceptions (or
/// messages), timed with <see cref="Stopwatch"/> and <see cref="GC.GetAllocatedBytesForCurrentThread"/> on the caller's
/// thread, then drains the worker; it prints each round and the median. Not the definitive numbers: those are
/// BenchmarkDotNet's (<see cref="CaptureBenchmarks"/>).
/// </summary>
internal static class ProfileMode
{
    public const string Usage = "profile [--scenario sdk|sdk-original|errorreporting|floor] [--kind exception|message] [--calls 2000] [--rounds 7] [--warmup 3]";

    public static int Run(IReadOnlyList<string> args)
    {
        var arguments = ModeArguments.Parse(args, "--scenario", "--kind", "--calls", "--rounds", "--warmup");
        var name = arguments.GetString("--scenario") ?? "errorreporting";
        var kind = arguments.GetString("--kind") ?? "exception";
        if (kind is not ("exception" or "message"))
        {
            throw new ArgumentException($"The option '--kind' must be 'exception' or 'message', not '{kind}'.");
        }

        var calls = arguments.GetInt32("--calls", 2000, 1, 1_000_000);
        var rounds = arguments.GetInt32("--rounds", 7, 1, 10_000);
        var warmup = arguments.GetInt32("--warmup", 3, 0, 10_000);
        using var scenario = Scenario.Create(name, 4 * calls);
        var times = new List<double>();
        var bytes = new List<double>();
        for (var round = -warmup; round < rounds; round++)
        {
            var exceptions = kind == "exception" ? SampleExceptions.Many(calls) : [];
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            var empty = 0;
            for (var i = 0; i < calls; i++)
            {
                var id = kind == "exception" ? scenario.ReportException(exceptions[i]) : scenario.ReportMessage(Scenario.MessageText);
                empty += id == SentryId.Empty ? 1 : 0;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var perCallBytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)calls;
            scenario.Flush();
            if (empty != 0)
            {
                Console.Error.WriteLine(Invariant($"round {round}: {empty} captures were not accepted"));
                return 1;
            }

            if (round >= 0)
            {
                times.Add(elapsed.TotalMicroseconds / calls);
                bytes.Add(perCallBytes);
            }

            Console.WriteLine(Invariant($"{(round < 0 ? "warm-up" : "round")} {round}: {elapsed.TotalMicroseconds / calls:0.00} us/call, {perCallBytes:0} B/call on the caller's thread"));
        }

        var (min, median, _, max) = Statistics.Summarize(times);
        Console.WriteLine(Invariant($"{name} {kind}: median {median:0.00} us/call (min {min:0.00}, max {max:0.00}); caller-thread {Statistics.Summarize(bytes).Median:0} B/call; {calls} calls x {rounds} rounds"));
        return 0;
    }
}
