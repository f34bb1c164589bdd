using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using ErrorReporting.Processors;
using ErrorReporting.StackTraces;
using Sentry.Extensibility;
using Sentry.Protocol;
using Sentry.Protocol.Envelopes;
using static System.FormattableString;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The <c>breakdown</c> mode: what one exception event is made of on the caller's thread, each part alone, through
/// public API (or ErrorReporting's own parts), with the inputs a steady-state capture has (a fresh 11-frame exception,
/// a scope holding the SDK's 100 "Exception" breadcrumbs). For each part: the best round (smallest mean per operation), in
/// nanoseconds and caller-thread bytes per operation. The parts overlap nothing, but do not add up to a capture: the
/// SDK's glue between them (processor enumeration, logging calls, trace context, sessions, sampling) is the rest.
/// </summary>
internal static class BreakdownMode
{
    public const string Usage = "breakdown [--ops 2000] [--rounds 7]";

    public static int Run(IReadOnlyList<string> args)
    {
        var arguments = ModeArguments.Parse(args, "--ops", "--rounds");
        var ops = arguments.GetInt32("--ops", 2000, 10, 1_000_000);
        var rounds = arguments.GetInt32("--rounds", 7, 1, 1000);

        var options = new SentryOptions { Dsn = Scenario.Dsn };
        var scope = new Scope(options);
        for (var i = 0; i < 100; i++)
        {
            scope.AddBreadcrumb(new Breadcrumb("Could not read the configuration", "error", category: "Exception", level: BreadcrumbLevel.Fatal));
        }

        var emptyScope = new Scope(options);
        var ours = new CachedStackTraceFactory(options);
        var enhanced = new SentryStackTraceFactory(new SentryOptions { Dsn = Scenario.Dsn, StackTraceMode = StackTraceMode.Enhanced });
        var original = new SentryStackTraceFactory(new SentryOptions { Dsn = Scenario.Dsn, StackTraceMode = StackTraceMode.Original });
        var modules = new ModulesProcessor(ReportAssembliesMode.Version);
        var table = new ConditionalWeakTable<object, object?>();
        var sample = new SentryEvent(SampleExceptions.ElevenFrames());

        Console.WriteLine(Invariant($"{"part (per operation)",-72} {"ns",10} {"bytes",8}"));
        Measure("new SentryEvent(ex)", ex => new SentryEvent(ex));
        Measure("Exception.Data[\"Sentry:Handled\"] = true (ErrorReporting's mark; creates Data)", ex =>
        {
            ex.Data[Mechanism.HandledKey] = true;
            return ex;
        });
        Measure("exception.StackTrace (the SDK main processor's null test)", ex => ex.StackTrace);
        Measure("frames: ErrorReporting's CachedStackTraceFactory.Create(ex), warm", ex => ours.Create(ex));
        Measure("  of which the runtime's new StackTrace(ex, false).GetFrames()", ex => new StackTrace(ex, fNeedFileInfo: false).GetFrames());
        Measure("frames: SDK SentryStackTraceFactory.Create(ex), Enhanced", ex => enhanced.Create(ex));
        Measure("frames: SDK SentryStackTraceFactory.Create(ex), Original", ex => original.Create(ex));
        Measure("modules: the SDK's per-event list (GetAssemblies, GetName)", _ => ModulesProcessor.Compute(ReportAssembliesMode.Version));
        Measure("modules: ErrorReporting's ModulesProcessor.Process (copy of the cached list)", ex => modules.Process(new SentryEvent()));
        Measure("  (new SentryEvent() alone, subtract from the row above)", _ => new SentryEvent());
        Measure("scope.Apply(event), scope with 100 breadcrumbs", _ => Applied(scope));
        Measure("scope.Apply(event), empty scope", _ => Applied(emptyScope));
        Measure("scope.Clone(), 100 breadcrumbs (a capture with a scope callback)", _ => scope.Clone());
        Measure("exception breadcrumb: new Breadcrumb + SentryHint + scope.AddBreadcrumb", ex =>
        {
            var hint = new SentryHint();
            hint.Items["exception"] = ex;
            scope.AddBreadcrumb(new Breadcrumb(ex.Message, null!, null, "Exception", BreadcrumbLevel.Fatal), hint);
            return hint;
        });
        Measure("main processor's contexts: memory, thread pool, cultures, dynamic code", _ => MainProcessorContexts());
        Measure("ConditionalWeakTable.Add x3 (SDK dedup: event, exception; ErrorReporting: exception)", ex =>
        {
            table.AddOrUpdate(ex, null);
            table.AddOrUpdate(new object(), null);
            table.AddOrUpdate(ex.Message, null);
            return table;
        });
        Measure("Envelope.FromEvent(event)", _ => Envelope.FromEvent(sample));
        Measure("DateTimeOffset.UtcNow", _ => DateTimeOffset.UtcNow);
        return 0;

        void Measure(string name, Func<Exception, object?> part)
        {
            var best = double.MaxValue;
            var bestBytes = double.MaxValue;
            for (var round = -2; round < rounds; round++)
            {
                var exceptions = SampleExceptions.Many(ops);
                object? keep = null;
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < ops; i++)
                {
                    keep = part(exceptions[i]);
                }

                var elapsed = Stopwatch.GetElapsedTime(started).TotalNanoseconds / ops;
                var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)ops;
                GC.KeepAlive(keep);
                if (round >= 0)
                {
                    best = Math.Min(best, elapsed);
                    bestBytes = Math.Min(bestBytes, bytes);
                }
            }

            Console.WriteLine(Invariant($"{name,-72} {best,10:N0} {bestBytes,8:N0}"));
        }
    }

    private static SentryEvent Applied(Scope scope)
    {
        var sentryEvent = new SentryEvent();
        scope.Apply(sentryEvent);
        return sentryEvent;
    }

    /// <summary>What the SDK's main event processor computes for every event's contexts (its own code is internal).</summary>
    private static object MainProcessorContexts()
    {
        var memory = GC.GetGCMemoryInfo();
        var pauses = memory.PauseDurations.ToArray();
        var total = GC.GetTotalAllocatedBytes();
        ThreadPool.GetMinThreads(out var minWorkers, out var minPorts);
        ThreadPool.GetMaxThreads(out var maxWorkers, out var maxPorts);
        ThreadPool.GetAvailableThreads(out var workers, out var ports);
        var culture = Culture(CultureInfo.CurrentCulture);
        var uiCulture = Culture(CultureInfo.CurrentUICulture);
        var dynamicCode = new Dictionary<string, bool> { ["Compiled"] = RuntimeFeature.IsDynamicCodeCompiled, ["Supported"] = RuntimeFeature.IsDynamicCodeSupported };
        return (pauses, total, minWorkers + minPorts + maxWorkers + maxPorts + workers + ports, culture, uiCulture, dynamicCode, TimeZoneInfo.Local);

        static Dictionary<string, string> Culture(CultureInfo culture) => new()
        {
            ["name"] = culture.Name,
            ["display_name"] = culture.DisplayName,
            ["calendar"] = culture.Calendar.GetType().Name,
        };
    }
}
