using System.Diagnostics;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>What the tests need of a Unix system that .NET has no API for, through the standard commands.</summary>
internal static class UnixFiles
{
    /// <summary>Creates a FIFO (<c>mkfifo</c>).</summary>
    public static void MakeFifo(string path) => Run("mkfifo", path);

    /// <summary>Gives a file or a folder, with everything in it, to a user and group (<c>chown -R</c>).</summary>
    public static void GiveTo(string path, int userId, int groupId) => Run("chown", "-R", $"{userId}:{groupId}", path);

    /// <summary>Runs a command and fails the test when it does not succeed.</summary>
    public static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
    }
}
