using System.Collections.Concurrent;
using System.Diagnostics;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// Runs tests/ErrorReporting.CrashApp as a real child process (<c>dotnet ErrorReporting.CrashApp.dll …</c>) with a bound:
/// a child that outlives it is killed and the test fails.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _output = new();
    private readonly TaskCompletionSource<DateTime> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _errors = new();

    private ChildProcess(Process process) => _process = process;

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    public IReadOnlyList<string> Output => [.. _output.Select(o => o.Line)];

    public string ErrorOutput => string.Join('\n', _errors);

    /// <summary>Gets the event ids the child printed (<c>id:…</c>).</summary>
    public IReadOnlyList<string> ReportedIds => [.. Output.Where(l => l.StartsWith("id:", StringComparison.Ordinal)).Select(l => l[3..])];

    public static ChildProcess Start(string mode, IReadOnlyDictionary<string, string?> environment, params string[] flags)
        => Start(mode, environment, confinement: null, flags);

    /// <summary>Starts the child with a <paramref name="confinement"/> (another user, a file-size limit).</summary>
    public static ChildProcess Start(string mode, IReadOnlyDictionary<string, string?> environment, ChildConfinement? confinement, params string[] flags)
    {
        List<string> command = ["dotnet", confinement?.AppPath ?? AppPath, mode, .. flags];
        command = confinement?.Wrap(command) ?? command;
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { "SENTRY_DSN", "SENTRY_ENVIRONMENT", "SENTRY_RELEASE" })
        {
            start.Environment.Remove(name);
        }

        foreach (var variable in environment.Concat(confinement?.Variables ?? []))
        {
            start.Environment[variable.Key] = variable.Value;
        }

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            child._output.Enqueue((DateTime.UtcNow, e.Data));
            if (e.Data == "ready")
            {
                child._ready.TrySetResult(DateTime.UtcNow);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                child._errors.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until the child has set up error reporting (printed <c>ready</c>).</summary>
    public Task<DateTime> WaitReadyAsync(TimeSpan timeout) => _ready.Task.WaitAsync(timeout);

    /// <summary>Waits for the child to exit; kills it and fails the test when it does not within <paramref name="timeout"/>.</summary>
    public async Task<DateTime> WaitForExitAsync(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new Xunit.Sdk.XunitException($"The child process did not exit within {timeout}; it was killed. Output:\n{string.Join('\n', Output)}\n{ErrorOutput}");
        }

        var exited = DateTime.UtcNow;
        _process.WaitForExit(); // drains the redirected output
        return exited;
    }

    /// <summary>Kills the child at once (SIGKILL on Unix).</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    /// <summary>Gets the path of ErrorReporting.CrashApp.dll in the build output.</summary>
    internal static string AppPath
    {
        get
        {
            // tests/ErrorReporting.Tests/bin/<Configuration>/<tfm>/ → tests/ErrorReporting.CrashApp/bin/<Configuration>/<tfm>/
            var testOutput = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            var path = testOutput.Replace(
                $"{Path.DirectorySeparatorChar}ErrorReporting.Tests{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}",
                $"{Path.DirectorySeparatorChar}ErrorReporting.CrashApp{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}",
                StringComparison.Ordinal);
            var app = Path.Combine(path, "ErrorReporting.CrashApp.dll");
            return File.Exists(app) ? app : throw new FileNotFoundException("Build tests/ErrorReporting.CrashApp first.", app);
        }
    }
}
