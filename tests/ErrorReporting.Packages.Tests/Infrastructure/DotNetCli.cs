using System.Diagnostics;
using System.Text;

namespace ErrorReporting.Packages.Tests.Infrastructure;

/// <summary>Runs a program (<c>dotnet …</c> or a published binary) to completion with a bound, capturing its output.</summary>
internal static class DotNetCli
{
    /// <summary>Runs <paramref name="fileName"/>; fails the test with the output when it exits non-zero or outlives <paramref name="timeout"/>.</summary>
    public static async Task<string> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = await ExecuteAsync(fileName, arguments, workingDirectory, timeout, environment);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"'{result.CommandLine}' exited with {result.ExitCode}. Output:\n{result.Output}");
        }

        return result.Output;
    }

    /// <summary>Runs <paramref name="fileName"/> and returns its exit code and output; fails the test only when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> ExecuteAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The consumer builds are not part of this repository's build: no inherited MSBuild state from `dotnet test`.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var variable in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[variable.Key] = variable.Value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"'{fileName} {string.Join(' ', start.ArgumentList)}' did not finish within {timeout}; killed. Output:\n{Text(output)}");
        }

        process.WaitForExit(); // drains the redirected output
        return new ProcessResult($"{fileName} {string.Join(' ', start.ArgumentList)}", process.ExitCode, Text(output));
    }

    /// <summary>Gets the value of the first <c>key:value</c> line printed by a consumer program.</summary>
    public static string Value(string output, string key)
    {
        var prefix = key + ":";
        var line = output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line?[prefix.Length..] ?? throw new Xunit.Sdk.XunitException($"The program printed no '{prefix}' line. Output:\n{output}");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

/// <summary>What a finished program left: its command line, exit code and output (standard output and error, interleaved).</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Output);
