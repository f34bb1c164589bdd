using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using ErrorReporting.Testing;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using static System.FormattableString;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// Where a cold start's JIT compilation goes (<c>startup-jit</c> mode): one <c>startup-once</c> child per kind, traced
/// with the runtime's EventPipe (JIT and loader events, started by <c>DOTNET_EnableEventPipe</c>), then per step
/// (registration, build, first resolve, first report) the methods compiled and their JIT time, by whose code they are:
/// ErrorReporting's delivery engine, the rest of ErrorReporting, the SDK, Microsoft.Extensions (IL-only package copies
/// or the shared framework's precompiled ones), the rest of .NET. Tracing slows the child down; compare the counts
/// and the shares, not the times with the <c>startup</c> mode's.
/// </summary>
internal static class StartupJitProfile
{
    public const string Usage = "startup-jit [--kind all|library|sdk|baseline] [--keep <folder>] [--methods <file>]";

    private static readonly string[] s_steps = ["registration", "BuildServiceProvider()", "first resolve", "first report"];

    /// <summary>The SDK-only child's stamps: its init runs where the others build the container, its capture where they report.</summary>
    private static readonly string[] s_sdkSteps = ["-", "SentrySdk.Init", "-", "first CaptureException"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var arguments = ModeArguments.Parse(args, "--kind", "--keep", "--methods");
        var kinds = arguments.GetString("--kind") is { } kind and not "all" ? [kind] : (string[])["library", "sdk", "baseline"];
        var folder = arguments.GetString("--keep") ?? Directory.CreateTempSubdirectory("startup-jit").FullName;
        Directory.CreateDirectory(folder);

        await using var server = await SentryTestServer.StartAsync();
        Console.WriteLine("ErrorReporting start-up, JIT compilation per step: one traced child per kind (EventPipe, JIT and loader events)");
        Console.WriteLine("  JIT times are inflated by tracing: compare counts and shares");
        var failed = false;
        foreach (var name in kinds)
        {
            var trace = Path.Combine(folder, $"startup-{name}.nettrace");
            if (!await RunTracedChildAsync(server.Dsn, name, trace))
            {
                Console.WriteLine($"  {name}: the traced child failed");
                failed = true;
                continue;
            }

            Print(name, Analyze(trace, arguments.GetString("--methods") is { } methods ? $"{methods}.{name}.tsv" : null));
        }

        Console.WriteLine($"traces: {folder}");
        Console.WriteLine(failed ? "result: FAIL" : "result: PASS");
        return failed ? 1 : 0;
    }

    private static async Task<bool> RunTracedChildAsync(string dsn, string kind, string trace)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        var startInfo = new ProcessStartInfo { FileName = host, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            startInfo.ArgumentList.Add(typeof(StartupJitProfile).Assembly.Location);
        }

        foreach (var argument in (string[])[StartupBenchmark.OnceMode, "--dsn", dsn, "--kind", kind, "--marks", "true", "--launched", Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture)])
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOTNET_EnableEventPipe"] = "1";
        startInfo.Environment["DOTNET_EventPipeOutputPath"] = trace;
        startInfo.Environment["DOTNET_EventPipeConfig"] = $"Microsoft-Windows-DotNETRuntime:0x18:5,{StartupMarks.SourceName}:0x1:5";
        using var child = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {host}.");
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await child.WaitForExitAsync(timeout.Token);
        _ = await output + await error;
        return child.ExitCode == 0 && File.Exists(trace);
    }

    /// <summary>Per step and owner: methods compiled and their JIT time; and where each Microsoft.Extensions assembly was loaded from.</summary>
    /// <remarks>With <paramref name="methodsFile"/>, every compiled method is also written there: step, owner, JIT ms, name.</remarks>
    private static (Dictionary<(int Step, string Owner), (int Methods, double Ms)> Jit, List<string> Extensions) Analyze(string trace, string? methodsFile)
    {
        using var source = new EventPipeEventSource(trace);
        var clr = new ClrTraceEventParser(source);
        var modules = new Dictionary<long, string>();
        var started = new Dictionary<(int, long), (double At, string Name, string Method)>();
        var compiled = new List<(double At, double Ms, string Owner, string Method)>();
        var extensions = new List<string>();
        double[]? bounds = null;
        clr.LoaderModuleLoad += e =>
        {
            modules[(long)e.ModuleID] = e.ModuleILPath;
            var file = Path.GetFileName(e.ModuleILPath);
            if (file.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal))
            {
                extensions.Add(Invariant($"{file} ({(e.ModuleILPath.Contains("/shared/", StringComparison.Ordinal) || e.ModuleILPath.Contains("\\shared\\", StringComparison.Ordinal) ? "shared framework, precompiled" : "application folder, IL-only package copy")})"));
            }
        };
        clr.MethodJittingStarted += e => started[(e.ThreadID, (long)e.MethodID)] = (e.TimeStampRelativeMSec, e.MethodNamespace, e.MethodNamespace + "." + e.MethodName);
        clr.MethodLoadVerbose += e =>
        {
            if (started.Remove((e.ThreadID, (long)e.MethodID), out var start))
            {
                compiled.Add((start.At, e.TimeStampRelativeMSec - start.At, Owner(modules.GetValueOrDefault((long)e.ModuleID) ?? string.Empty, start.Name), start.Method));
            }
        };
        source.Dynamic.All += e =>
        {
            if (e.ProviderName == StartupMarks.SourceName && e.EventName.StartsWith("Steps", StringComparison.Ordinal))
            {
                // Stopwatch stamps of the child, placed on the trace's clock through the stamp taken when the event was written.
                var now = Convert.ToInt64(e.PayloadByName("now"), CultureInfo.InvariantCulture);
                bounds = [.. ((string)e.PayloadByName("stamps")).Split(' ').Select(s => e.TimeStampRelativeMSec - ((now - long.Parse(s, CultureInfo.InvariantCulture)) * 1000.0 / Stopwatch.Frequency))];
            }
        };
        source.Process();

        var result = new Dictionary<(int, string), (int, double)>();
        using var methods = methodsFile is null ? null : new StreamWriter(methodsFile);
        foreach (var (at, ms, owner, method) in compiled)
        {
            var step = bounds is null ? -1 : Array.FindLastIndex(bounds, b => b <= at);
            if (step >= 0 && step < s_steps.Length)
            {
                methods?.WriteLine(Invariant($"{s_steps[step]}\t{owner}\t{ms:0.00}\t{method}"));
            }

            if (step >= 0 && step < s_steps.Length)
            {
                var (count, total) = result.GetValueOrDefault((step, owner));
                result[(step, owner)] = (count + 1, total + ms);
            }
        }

        return (result, extensions);
    }

    private static string Owner(string path, string type)
    {
        var file = Path.GetFileNameWithoutExtension(path);
        return file switch
        {
            "ErrorReporting" when type.StartsWith("ErrorReporting.Delivery", StringComparison.Ordinal) || type.EndsWith("DeliveryCounters", StringComparison.Ordinal) => "ErrorReporting: delivery engine",
            "ErrorReporting" => "ErrorReporting: the rest",
            "ErrorReporting.Benchmarks" => "the benchmark itself",
            _ when file.StartsWith("Sentry", StringComparison.Ordinal) => "Sentry SDK",
            _ when file.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) => path.Contains("shared", StringComparison.Ordinal) ? "Microsoft.Extensions (shared framework)" : "Microsoft.Extensions (IL-only package)",
            _ => ".NET (generic instantiations and IL-only parts)",
        };
    }

    private static void Print(string kind, (Dictionary<(int Step, string Owner), (int Methods, double Ms)> Jit, List<string> Extensions) analysis)
    {
        Console.WriteLine($"  {kind}: methods JIT-compiled (JIT ms)");
        var labels = kind == "sdk" ? s_sdkSteps : s_steps;
        for (var step = 0; step < labels.Length; step++)
        {
            var rows = analysis.Jit.Where(r => r.Key.Step == step).OrderByDescending(r => r.Value.Ms).ToList();
            if (labels[step] == "-")
            {
                continue;
            }

            Console.WriteLine(Invariant($"    {labels[step],-32} {rows.Sum(r => r.Value.Methods),5} ({rows.Sum(r => r.Value.Ms):0.0} ms)"));
            foreach (var row in rows)
            {
                Console.WriteLine(Invariant($"      {row.Key.Owner,-50} {row.Value.Methods,5} ({row.Value.Ms:0.0} ms)"));
            }
        }

        Console.WriteLine($"    Microsoft.Extensions assemblies loaded: {(analysis.Extensions.Count == 0 ? "none" : string.Join(", ", analysis.Extensions.Distinct()))}");
    }
}

/// <summary>The child's step stamps, written once after the measurement so that the traced steps can be told apart.</summary>
[EventSource(Name = SourceName)]
internal sealed class StartupMarks : EventSource
{
    public const string SourceName = "ErrorReporting-Benchmarks-Startup";

    public static readonly StartupMarks Log = new();

    /// <summary>Writes the step stamps (<see cref="Stopwatch"/> ticks, space-separated) and the stamp of this moment.</summary>
    [Event(1)]
    public void Steps(string stamps, long now) => WriteEvent(1, stamps, now);
}
