using ErrorReporting.Packages.Tests.Infrastructure;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// The libraries build in whatever clone they are in. SourceLink reads the clone's git remote: a remote that is a bare
/// repository on a local path (how CI clones: <c>git clone /check/repo.git</c>) failed the build with the standalone
/// SourceLink 8.0.0 package, as did a clone without a remote; the SDK's bundled SourceLink builds without links there.
/// </summary>
public sealed class SourceControlBuildTests : IDisposable
{
    private const string Remote = "local-mirror";
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private readonly string workDirectory = Directory.CreateTempSubdirectory("errorreporting-scm-").FullName;

    [Fact]
    public async Task Build_RemoteIsABareRepositoryOnALocalPath_Succeeds()
    {
        var bare = Path.Combine(workDirectory, "repo.git");
        await DotNetCli.RunAsync("git", ["init", "--quiet", "--bare", bare], workDirectory, TimeSpan.FromSeconds(30));

        await BuildWithRemoteAsync($"[remote \"{Remote}\"]\n\turl = {bare}\n");
    }

    [Fact]
    public async Task Build_RemoteIsMissing_Succeeds()
    {
        await BuildWithRemoteAsync(gitConfig: string.Empty);
    }

    /// <summary>
    /// Builds the main library with SourceLink reading the remote <see cref="Remote"/> from a git configuration of this
    /// test's own, so the clone's own origin (GitHub, none, or CI's local mirror) does not matter.
    /// </summary>
    private async Task BuildWithRemoteAsync(string gitConfig)
    {
        var root = PackedPackages.FindRepositoryRoot();
        var gitConfigHome = Path.Combine(workDirectory, "xdg");
        Directory.CreateDirectory(Path.Combine(gitConfigHome, "git"));
        await File.WriteAllTextAsync(Path.Combine(gitConfigHome, "git", "config"), gitConfig);
        var output = Path.Combine(workDirectory, "build");

        await DotNetCli.RunAsync(
            "dotnet",
            [
                "build", Path.Combine(root, "src", "ErrorReporting", "ErrorReporting.csproj"), "-c", "Release", "-f", "net10.0",
                "--artifacts-path", output,
                "-p:GitRepositoryConfigurationScope=",
                $"-p:GitRepositoryRemoteName={Remote}",
            ],
            root,
            BuildTimeout,
            new Dictionary<string, string?> { ["CI"] = "true", ["XDG_CONFIG_HOME"] = gitConfigHome });

        Assert.True(File.Exists(Path.Combine(output, "bin", "ErrorReporting", "release_net10.0", "ErrorReporting.dll")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(workDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }
}
