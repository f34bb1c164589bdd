using ErrorReporting.Packages.Tests.Infrastructure;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// The libraries build in whatever clone they are in. SourceLink reads the clone's <c>origin</c>: an origin that is a
/// bare repository on a local path (how CI clones: <c>git clone /check/repo.git</c>) failed the build with the
/// standalone SourceLink 8.0.0 package, as did a repository without a remote. Each test copies this working tree
/// (tracked and untracked files, as <c>git ls-files</c> lists them) into a fresh repository of its own and builds the
/// main library there with <c>CI=true</c>, as CI does.
/// </summary>
public sealed class SourceControlBuildTests : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(30);

    private readonly string workDirectory = Directory.CreateTempSubdirectory("errorreporting-scm-").FullName;

    [Fact]
    public async Task Build_OriginIsABareRepositoryOnALocalPath_Succeeds()
    {
        var clone = await CopyWorkingTreeIntoNewRepositoryAsync();
        var bare = Path.Combine(workDirectory, "repo.git");
        await GitAsync(workDirectory, "init", "--quiet", "--bare", bare);
        await GitAsync(clone, "remote", "add", "origin", bare);
        await GitAsync(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main");

        await BuildLibraryAsync(clone);
    }

    [Fact]
    public async Task Build_RepositoryWithoutRemote_Succeeds()
    {
        var clone = await CopyWorkingTreeIntoNewRepositoryAsync();

        await BuildLibraryAsync(clone);
    }

    private async Task<string> CopyWorkingTreeIntoNewRepositoryAsync()
    {
        var root = PackedPackages.FindRepositoryRoot();
        var clone = Path.Combine(workDirectory, "clone");
        var files = await GitAsync(root, "-c", "core.quotePath=false", "ls-files", "--cached", "--others", "--exclude-standard");
        foreach (var file in files.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var source = Path.Combine(root, file);
            if (File.Exists(source))
            {
                var target = Path.Combine(clone, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }
        }

        await GitAsync(clone, "init", "--quiet");
        await GitAsync(clone, "add", "--all");
        await GitAsync(clone, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "copy");
        return clone;
    }

    private static async Task BuildLibraryAsync(string clone)
    {
        await DotNetCli.RunAsync(
            "dotnet",
            ["build", Path.Combine(clone, "src", "ErrorReporting", "ErrorReporting.csproj"), "-c", "Release", "-f", "net10.0"],
            clone,
            BuildTimeout,
            new Dictionary<string, string?> { ["CI"] = "true" });

        Assert.True(File.Exists(Path.Combine(clone, "src", "ErrorReporting", "bin", "Release", "net10.0", "ErrorReporting.dll")));
    }

    private static Task<string> GitAsync(string workingDirectory, params string[] arguments) =>
        DotNetCli.RunAsync("git", arguments, workingDirectory, GitTimeout);

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
