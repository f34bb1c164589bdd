namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// Confines a <see cref="ChildProcess"/> the way a real deployment can be, with the operating system's own means, so
/// that a test sees the failures the engine meets there rather than a fake of them:
/// <list type="bullet">
/// <item><see cref="AsUnprivilegedUser"/>: permission bits bind the child. Tests may run as root (they do on the build
/// machines), which ignores them, so a child of a root test runs as <c>nobody</c> (65534:65534, through
/// <c>setpriv</c>), with a copy of the app it can read and a home of its own; a child of any other user runs as that
/// user, whom the bits already bind.</item>
/// <item><see cref="FileSizeLimitKiB"/>: the kernel refuses to let a file of the child grow beyond the limit
/// (<c>ulimit -f</c>, RLIMIT_FSIZE, which binds root too), with SIGXFSZ ignored so that the write fails with EFBIG
/// instead of killing the process; the runtime keeps that disposition (checked: the child reports the failure). W^X is
/// turned off (<c>DOTNET_EnableWriteXorExecute=0</c>): its double mapping sizes a memory file and fails under the limit
/// before the runtime starts.</item>
/// </list>
/// </summary>
internal sealed class ChildConfinement
{
    private const int Nobody = 65534;

    private ChildConfinement(string folder, bool unprivileged, int? fileSizeLimitKiB)
    {
        DropsPrivileges = unprivileged && Environment.IsPrivilegedProcess;
        FileSizeLimitKiB = fileSizeLimitKiB;
        if (DropsPrivileges)
        {
            // The build output may sit where nobody cannot read (a clone under /root): the child gets its own copy.
            var app = Path.Combine(folder, "app");
            CopyFolder(Path.GetDirectoryName(ChildProcess.AppPath)!, app);
            AppPath = Path.Combine(app, Path.GetFileName(ChildProcess.AppPath));
            var home = Path.Combine(folder, "home");
            Directory.CreateDirectory(home);
            UnixFiles.GiveTo(home, Nobody, Nobody);
            Variables["HOME"] = home;
            Variables["DOTNET_CLI_HOME"] = home;
        }

        if (fileSizeLimitKiB is not null)
        {
            Variables["DOTNET_EnableWriteXorExecute"] = "0";
        }
    }

    /// <summary>Gets a value indicating whether the child runs as <c>nobody</c> (the test runs as root and asked for an unprivileged child).</summary>
    public bool DropsPrivileges { get; }

    /// <summary>Gets the largest file the child may write, in KiB, if limited.</summary>
    public int? FileSizeLimitKiB { get; }

    /// <summary>Gets the app to run, when the child needs a copy of its own.</summary>
    public string? AppPath { get; }

    /// <summary>Gets the variables the confinement adds to the child's environment.</summary>
    public Dictionary<string, string?> Variables { get; } = [];

    /// <summary>A child that permission bits bind; <paramref name="folder"/> holds what it needs of its own.</summary>
    public static ChildConfinement AsUnprivilegedUser(string folder) => new(folder, unprivileged: true, fileSizeLimitKiB: null);

    /// <summary>A child whose files cannot grow beyond <paramref name="kib"/> KiB.</summary>
    public static ChildConfinement WithFileSizeLimit(string folder, int kib) => new(folder, unprivileged: false, kib);

    /// <summary>Gives <paramref name="path"/>, with everything in it, to the child's user (nothing to do when that is the test's own).</summary>
    public void GiveToChild(string path)
    {
        if (DropsPrivileges)
        {
            UnixFiles.GiveTo(path, Nobody, Nobody);
        }
    }

    /// <summary>Wraps the child's command line in what confines it.</summary>
    public List<string> Wrap(List<string> command)
    {
        if (FileSizeLimitKiB is { } kib)
        {
            command = ["bash", "-c", $"ulimit -f {kib} && trap '' XFSZ && exec \"$@\"", "bash", .. command];
        }

        if (DropsPrivileges)
        {
            command = ["setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", .. command];
        }

        return command;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
