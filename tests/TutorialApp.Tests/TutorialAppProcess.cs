using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TutorialApp.Tests;

/// <summary>
/// The real sample as a child process (<c>dotnet TutorialApp.dll --urls http://127.0.0.1:{free port} [arguments]</c>),
/// with no Sentry settings from the test's environment (no DSN: it reports to itself) unless the test passes some.
/// Started when its "listening" line appears (bounded); killed, with its process tree, on dispose.
/// </summary>
internal sealed class TutorialAppProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TutorialAppProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Gets what the app printed so far (stdout and stderr), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Gets the repository's root folder (found from the test's output folder).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Starts the app and waits until it listens.</summary>
    /// <param name="environment">Environment variables to set for the app (e.g. <c>SENTRY_DSN</c>), or <see langword="null"/>.</param>
    /// <param name="arguments">Command-line arguments after <c>--urls</c> (configuration such as <c>--Sentry:SendDefaultPii=true</c>).</param>
    public static async Task<TutorialAppProcess> StartAsync(IReadOnlyDictionary<string, string>? environment = null, params string[] arguments)
    {
        var dll = FindApp();
        var url = $"http://127.0.0.1:{FreePort()}";
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(dll);
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(url);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Hermetic: nothing of the test machine's Sentry or ASP.NET Core settings reaches the app.
        foreach (var name in startInfo.Environment.Keys.ToArray())
        {
            if (name.StartsWith("SENTRY_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Sentry__", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Tutorial__", StringComparison.OrdinalIgnoreCase)
                || name is "ASPNETCORE_URLS" or "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT")
            {
                startInfo.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var app = new TutorialAppProcess(process, new Uri(url));
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var expected = $"TutorialApp is listening on {url}";
        process.OutputDataReceived += (_, e) =>
        {
            app.Append(e.Data);
            if (e.Data?.Contains(expected, StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.Exited += (_, _) =>
        {
            // Exited fires before the redirected output is read to its end: wait for it (bounded by the exit).
            process.WaitForExit();
            listening.TrySetException(new ExitedBeforeListeningException(process.ExitCode, app.Output));
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(s_startTimeout);
        }
        catch (TimeoutException)
        {
            await app.DisposeAsync();
            throw new TimeoutException($"TutorialApp did not print '{expected}' within {s_startTimeout.TotalSeconds} s:\n{app.Output}");
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>Starts the app and waits until it exits by itself (bounded), for settings that must stop it at start.</summary>
    /// <returns>The exit code and what the app printed.</returns>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IReadOnlyDictionary<string, string>? environment = null, params string[] arguments)
    {
        try
        {
            await using var app = await StartAsync(environment, arguments);
            throw new InvalidOperationException($"TutorialApp started, but was expected to exit:\n{app.Output}");
        }
        catch (ExitedBeforeListeningException exited)
        {
            return (exited.ExitCode, exited.Output);
        }
    }

    /// <summary>Gets a value indicating whether the app has exited (crashed, in a test that did not stop it).</summary>
    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>tests/TutorialApp.Tests/bin/{Configuration}/{tfm}/ → samples/TutorialApp/bin/{Configuration}/{tfm}/TutorialApp.dll.</summary>
    private static string FindApp()
    {
        var testBin = Path.Combine(RepositoryRoot, "tests", "TutorialApp.Tests", "bin");
        var configurationAndFramework = Path.GetRelativePath(testBin, AppContext.BaseDirectory);
        var dll = Path.Combine(RepositoryRoot, "samples", "TutorialApp", "bin", configurationAndFramework, "TutorialApp.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build samples/TutorialApp first (building this test project does).", dll);
    }

    /// <summary>The folder above <c>tests/TutorialApp.Tests/bin/</c> in the test's output folder.</summary>
    private static string FindRepositoryRoot()
    {
        var separator = Path.DirectorySeparatorChar;
        var testOutput = AppContext.BaseDirectory;
        var marker = $"{separator}tests{separator}TutorialApp.Tests{separator}bin{separator}";
        var index = testOutput.LastIndexOf(marker, StringComparison.Ordinal);
        return index >= 0
            ? testOutput[..index]
            : throw new InvalidOperationException($"Cannot locate the repository from the test output folder '{testOutput}'.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The app exited before it printed its "listening" line.</summary>
internal sealed class ExitedBeforeListeningException(int exitCode, string output)
    : InvalidOperationException($"TutorialApp exited with code {exitCode} before listening:\n{output}")
{
    public int ExitCode { get; } = exitCode;

    public string Output { get; } = output;
}
