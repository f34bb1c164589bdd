using System.Diagnostics;
using System.Text.Json;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// Judges envelopes with Sentry's own code: @sentry/core's envelope parser with Relay's framing rules, and Relay's
/// event JSON schema (tests/conformance). One node process serves the whole test run.
/// </summary>
internal static class Conformance
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static Process? s_node;
    private static int s_nextId;

    public static async Task<ConformanceResult> CheckAsync(ReadOnlyMemory<byte> envelope)
    {
        await s_gate.WaitAsync();
        try
        {
            var node = s_node ??= await StartAsync();
            var id = ++s_nextId;
            await node.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { id, envelope = Convert.ToBase64String(envelope.Span) }));
            await node.StandardInput.FlushAsync();
            var line = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                ?? throw new InvalidOperationException("The conformance checker exited: " + await node.StandardError.ReadToEndAsync());
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var parse = root.GetProperty("parse");
            var errors = parse.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            var events = root.GetProperty("events").EnumerateArray()
                .Select(e => (Valid: e.GetProperty("valid").GetBoolean(), Errors: e.GetProperty("errors").EnumerateArray().Select(x => x.GetString()!).ToList()))
                .ToList();
            return new ConformanceResult(parse.GetProperty("exitCode").GetInt32(), errors, events.Select(e => e.Errors).ToList(), events.Count);
        }
        finally
        {
            s_gate.Release();
        }
    }

    /// <summary>Asserts that Sentry's parser accepts the envelope and every event in it matches Relay's schema.</summary>
    public static async Task AssertValidAsync(ReadOnlyMemory<byte> envelope)
    {
        var result = await CheckAsync(envelope);
        Assert.True(result.ParseExitCode == 0, "Sentry's envelope parser rejected the envelope: " + string.Join("; ", result.ParseErrors));
        for (var i = 0; i < result.EventErrors.Count; i++)
        {
            Assert.True(result.EventErrors[i].Count == 0, $"Event {i} does not match Relay's event schema: " + string.Join("; ", result.EventErrors[i]));
        }
    }

    private static async Task<Process> StartAsync()
    {
        var directory = FindConformanceDirectory();
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            await RunAsync("npm", "ci --no-audit --no-fund", directory);
        }

        var start = new ProcessStartInfo("node", "check-stream.mjs")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var node = Process.Start(start) ?? throw new InvalidOperationException("node could not be started (is Node.js installed?)");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                node.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        };
        return node;
    }

    private static async Task RunAsync(string file, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{file} could not be started");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed in {directory}: {await output}{await error}");
        }
    }

    private static string FindConformanceDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "conformance");
            if (File.Exists(Path.Combine(candidate, "check-stream.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/conformance was not found above " + AppContext.BaseDirectory);
    }
}

internal sealed record ConformanceResult(int ParseExitCode, IReadOnlyList<string> ParseErrors, IReadOnlyList<List<string>> EventErrors, int EventCount);
