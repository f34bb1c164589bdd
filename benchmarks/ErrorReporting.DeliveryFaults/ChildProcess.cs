using System.Diagnostics;
using System.Globalization;

namespace ErrorReporting.DeliveryFaults;

/// <summary>
/// The parent's handle on a child (this executable in <see cref="ChildOptions.Flag"/> mode): its output lines with the
/// time they arrived, the ids it printed, bounded waits for its lines, and a bounded close (kill at the bound).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly string s_emptyId = SentryId.Empty.ToString();

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<string> _ids = [];
    private readonly List<DateTimeOffset> _idTimes = [];
    private readonly List<string> _errors = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process) => _process = process;

    /// <summary>Gets every id the child printed, in order (<see cref="SentryId.Empty"/> for reports not accepted).</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_gate)
            {
                return [.. _ids];
            }
        }
    }

    /// <summary>Gets the accepted ids whose line arrived before <paramref name="moment"/> (the reports made before it).</summary>
    public IReadOnlyList<string> AcceptedIdsBefore(DateTimeOffset moment)
    {
        lock (_gate)
        {
            return [.. _ids.Where((id, i) => id != s_emptyId && _idTimes[i] < moment)];
        }
    }

    /// <summary>Gets every id the child printed with the time its line arrived (just after the call returned).</summary>
    public IReadOnlyList<(string Id, DateTimeOffset At)> IdTimes
    {
        get
        {
            lock (_gate)
            {
                return [.. _ids.Zip(_idTimes)];
            }
        }
    }

    /// <summary>Gets the ids of accepted reports (non-empty).</summary>
    public IReadOnlyList<string> AcceptedIds => [.. Ids.Where(id => id != s_emptyId)];

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(ChildOptions options)
    {
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Started through `dotnet run` this is the app host; through `dotnet <dll>` it is dotnet, which needs the dll.
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
        start.FileName = host;
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }

        foreach (var argument in options.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        // Only the command line configures the child.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SENTRY_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Sentry__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._gate)
                {
                    child._errors.Add(e.Data);
                }
            }
        };
        process.Exited += (_, _) => child.Signal();
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the first line that starts with <paramref name="prefix"/>; returns the rest of it.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_lines.Find(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
                {
                    return line[prefix.Length..];
                }

                changed = _changed.Task;
            }

            if (_process.HasExited)
            {
                // The output is complete once the process has exited and the reader reached its end.
                _process.WaitForExit();
                lock (_gate)
                {
                    if (_lines.Find(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
                    {
                        return line[prefix.Length..];
                    }
                }

                throw new InvalidOperationException($"The child exited ({_process.ExitCode}) without printing '{prefix}'.{Describe()}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"The child did not print '{prefix}' within {timeout.TotalSeconds:0} s.{Describe()}");
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    /// <summary>Gets the UTC time of a <c>start:&lt;ticks&gt;</c> line.</summary>
    public async Task<DateTimeOffset> WaitForStartAsync(TimeSpan timeout) => await WaitForTimeAsync("start:", timeout);

    /// <summary>Gets the UTC time of a <c>start:</c> or <c>end:</c> line (UTC ticks).</summary>
    public async Task<DateTimeOffset> WaitForTimeAsync(string prefix, TimeSpan timeout)
        => new(long.Parse(await WaitForLineAsync(prefix, timeout), CultureInfo.InvariantCulture), TimeSpan.Zero);

    /// <summary>Gets the time of the <c>end:</c> line, if the child printed one.</summary>
    public DateTimeOffset? LastReport
    {
        get
        {
            lock (_gate)
            {
                return _lines.Find(l => l.StartsWith("end:", StringComparison.Ordinal)) is { } line
                    ? new DateTimeOffset(long.Parse(line[4..], CultureInfo.InvariantCulture), TimeSpan.Zero)
                    : null;
            }
        }
    }

    /// <summary>Closes the child's standard input (it closes its SDK, flushing for ShutdownTimeout, and exits); kills it at the bound.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It is exiting anyway.
            }
        }

        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"The child did not exit within {timeout.TotalSeconds:0} s of being told to; it was killed.{Describe()}");
        }

        _process.WaitForExit(); // drains the redirected output
    }

    /// <summary>Kills the child at once: SIGKILL on Unix.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            Signal();
            return;
        }

        lock (_gate)
        {
            if (line.StartsWith("id:", StringComparison.Ordinal))
            {
                _ids.Add(line[3..]);
                _idTimes.Add(DateTimeOffset.UtcNow);
            }
            else
            {
                _lines.Add(line);
            }
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private string Describe()
    {
        lock (_gate)
        {
            var output = string.Join('\n', _lines.TakeLast(20));
            var errors = string.Join('\n', _errors.TakeLast(40));
            return $"\n  output: {output}\n  errors: {errors}";
        }
    }
}
