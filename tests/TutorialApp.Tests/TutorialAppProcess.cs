using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TutorialApp.Tests;

/// <summary>
/// The real sample as a child process (<c>dotnet TutorialApp.dll --urls http://127.0.0.1:{free port}</c>), with no DSN
/// in its environment so it reports to itself. Started when its "listening" line appears (bounded); killed, with its
/// process tree, on dispose.
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

    public static async Task<TutorialAppProcess> StartAsync()
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
        foreach (var name in new[] { "SENTRY_DSN", "ErrorReporting__Dsn", "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
        {
            startInfo.Environment.Remove(name);
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
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"TutorialApp exited with code {process.ExitCode} before listening:\n{app.Output}"));

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
        var separator = Path.DirectorySeparatorChar;
        var testOutput = AppContext.BaseDirectory;
        var marker = $"{separator}tests{separator}TutorialApp.Tests{separator}bin{separator}";
        var index = testOutput.LastIndexOf(marker, StringComparison.Ordinal);
        if (index < 0)
        {
            throw new InvalidOperationException($"Cannot locate the repository from the test output folder '{testOutput}'.");
        }

        var appOutput = string.Concat(testOutput.AsSpan(0, index), $"{separator}samples{separator}TutorialApp{separator}bin{separator}", testOutput.AsSpan(index + marker.Length));
        var dll = Path.Combine(appOutput, "TutorialApp.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build samples/TutorialApp first (building this test project does).", dll);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
