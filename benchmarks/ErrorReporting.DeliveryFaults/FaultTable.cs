using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ErrorReporting.DeliveryFaults;

/// <summary>
/// The parent: runs each selected scenario once per side, one child process at a time, prints each row as it is
/// counted, then the Markdown table with the run's environment, and writes it to <c>--out</c>.
/// </summary>
internal static class FaultTable
{
    public static string Usage =>
        "dotnet run -c Release --project benchmarks/ErrorReporting.DeliveryFaults -- [--scenario NAME[,NAME...]] [--out FILE] [--quiet-seconds 5]\n"
        + "  scenarios: " + string.Join(", ", Scenarios.All.Select(s => s.Name)) + " (default: all)\n"
        + "  --out: where the Markdown goes (default: docs/delivery-results.md of the repository when every scenario runs; none otherwise)\n"
        + "  --quiet-seconds: on the SDK's side, how long without a new event ends the wait after its flush";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var (scenarios, output, settings) = Parse(args);
        var loadBefore = LoadAverage();
        var started = DateTime.UtcNow;
        var rows = new List<Row>();
        foreach (var scenario in scenarios)
        {
            foreach (var side in new[] { Side.Sdk, Side.ErrorReporting })
            {
                Console.Error.WriteLine($"== {scenario.Name}: {(side == Side.Sdk ? "SDK 6.12.1 defaults" : "ErrorReporting")}");
                Row row;
                try
                {
                    row = await scenario.Run(scenario, side, settings);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    Console.Error.WriteLine(exception);
                    row = new Row { Scenario = scenario, Side = side, Problems = [$"run failed: {exception.GetType().Name}: {exception.Message.Split('\n')[0]}"] };
                }

                Console.Error.WriteLine(row.ToMarkdown());
                rows.Add(row);
            }
        }

        var markdown = Markdown(rows, started, loadBefore, LoadAverage(), settings);
        Console.WriteLine(markdown);
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, markdown);
            Console.Error.WriteLine($"written to {output}");
        }

        var failed = rows.Where(r => r.Problems.Count > 0).ToList();
        foreach (var row in failed)
        {
            Console.Error.WriteLine($"PROBLEM: {row.Scenario.Name} / {row.SideName}: {string.Join("; ", row.Problems)}");
        }

        return failed.Count == 0 ? 0 : 1;
    }

    private static (IReadOnlyList<Scenario> Scenarios, string? Output, RunSettings Settings) Parse(IReadOnlyList<string> args)
    {
        var names = new List<string>();
        string? output = null;
        var quiet = 5.0;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new UsageException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--scenario":
                    names.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--out":
                    output = value;
                    break;
                case "--quiet-seconds":
                    quiet = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 60
                        ? seconds
                        : throw new UsageException($"--quiet-seconds needs a number of seconds between 0 and 60, not '{value}'.");
                    break;
                default:
                    throw new UsageException($"Unknown argument '{args[i]}'.");
            }

            i++;
        }

        var unknown = names.Where(n => !Scenarios.All.Any(s => s.Name == n)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown scenario(s): {string.Join(", ", unknown)}.");
        }

        var selected = names.Count == 0 ? Scenarios.All : [.. Scenarios.All.Where(s => names.Contains(s.Name))];
        if (output is null && names.Count == 0 && RepositoryRoot() is { } root)
        {
            output = Path.Combine(root, "docs", "delivery-results.md");
        }

        return (selected, output, new RunSettings(TimeSpan.FromSeconds(quiet), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(70), TimeSpan.FromSeconds(180)));
    }

    private static string Markdown(IReadOnlyList<Row> rows, DateTime started, string loadBefore, string loadAfter, RunSettings settings)
    {
        var text = new StringBuilder();
        text.AppendLine("# Delivery under faults: results");
        text.AppendLine();
        text.AppendLine("Written by `dotnet run -c Release --project benchmarks/ErrorReporting.DeliveryFaults` (what the scenarios are and what");
        text.AppendLine("the engine guarantees: [delivery.md](delivery.md)). Each row is one child process (two for SIGKILL) against a fresh");
        text.AppendLine("`SentryTestServer`; the parent injects the faults and counts what arrived.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- date: {started:yyyy-MM-ddTHH:mm:ssZ}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- commit: {Commit()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} logical cores{CpuModel()}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- after each child's FlushAsync(10 s): waited until every returned id arrived (but those discarded on a 5xx/429 answer), or, for the SDK, {settings.QuietPeriod.TotalSeconds:0.#} s without a new event (at most {settings.SettleBound.TotalSeconds:0} s), for ErrorReporting {settings.EngineQuietPeriod.TotalSeconds:0} s without a new request (longer than its longest probe delay; at most {settings.EngineSettleBound.TotalSeconds:0} s); then closed the child (its SDK flushes for ShutdownTimeout, 2 s)");
        text.AppendLine();
        text.AppendLine(Row.MarkdownHeader);
        foreach (var row in rows)
        {
            text.AppendLine(row.ToMarkdown());
        }

        text.AppendLine();
        text.AppendLine("accepted: calls that returned a non-empty id; delivered: distinct returned ids the server received as events;");
        text.AppendLine("discarded on a 5xx/429: returned ids never received whose envelope the server answered with a 5xx, or with the 429 that");
        text.AppendLine("opened the rate-limit window (discarded as Sentry's transport rules say); lost = accepted − delivered − discarded on an");
        text.AppendLine("answer: dropped by the client itself (after a network failure, by its own rate limit, its cache's cap, the kill);");
        text.AppendLine("duplicates: extra receptions of a returned id. Recovery: the server listening (refused, SIGKILL), the first 200 after");
        text.AppendLine("the faults (five 5xx), the end of the window (429, 60 s rows); for the load and errors-first rows the seconds count from");
        text.AppendLine("the first report. Requests to the failing server: what the server received while it failed (per minute for the 60 s");
        text.AppendLine("rows; ErrorReporting's probe schedule allows at most " + Scenarios.MaxProbes(Scenarios.LongOutage).ToString(CultureInfo.InvariantCulture) + " in 60 s). Client reports received: the sum of the");
        text.AppendLine("`discarded_events` of every client report the server accepted, by reason/category (each side sends its own; for");
        text.AppendLine("ErrorReporting the engine's and the SDK's go together).");
        return text.ToString();
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "" : " (" + line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() + ")";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string Commit()
    {
        var head = Git("rev-parse", "--short=12", "HEAD");
        if (head is null)
        {
            return "unknown";
        }

        var status = Git("status", "--porcelain", "--untracked-files=no");
        return string.IsNullOrWhiteSpace(status) ? head : head + " (with uncommitted changes)";
    }

    private static string? Git(params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var git = Process.Start(start);
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git
        }
    }

    /// <summary>The folder holding ErrorReporting.sln, from the current directory up.</summary>
    private static string? RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ErrorReporting.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
