using System.Xml.Linq;

namespace ErrorReporting.Packages.Tests.Infrastructure;

/// <summary>
/// Packs the three packages once per test run, as a release build on CI would (<c>CI=true</c>, a GitHub origin for
/// SourceLink), into the repository's <c>artifacts/</c> folder. The build itself goes to <c>artifacts/package-build/</c>
/// (inside the repository, so that generated sources get deterministic paths too) and never touches the binaries the
/// other test projects are running. Consumer programs are copied to a temporary folder, outside this repository's
/// build settings, and restore into their own packages folder, so a package is never served from a stale global cache.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    private const string SourceLinkRemote = "errorreporting-github";
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Gets the package ids, in dependency order.</summary>
    public static IReadOnlyList<string> Ids { get; } = ["ErrorReporting", "ErrorReporting.Testing", "ErrorReporting.AspNetCore"];

    public string RepositoryRoot { get; } = FindRepositoryRoot();

    public string ArtifactsDirectory => Path.Combine(RepositoryRoot, "artifacts");

    /// <summary>Gets the version from its one place, <c>Directory.Build.props</c>.</summary>
    public string Version => BuildProperty("VersionPrefix");

    public string RepositoryWebUrl => BuildProperty("RepositoryWebUrl");

    public string Commit { get; private set; } = string.Empty;

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "errorreporting-packages-" + Guid.NewGuid().ToString("N"));

    /// <summary>Gets the isolated NuGet packages folder the consumer programs restore into.</summary>
    public string NuGetPackagesFolder => Path.Combine(WorkDirectory, "nuget-packages");

    public string PackagePath(string id) => Path.Combine(ArtifactsDirectory, $"{id}.{Version}.nupkg");

    public string SymbolPackagePath(string id) => Path.Combine(ArtifactsDirectory, $"{id}.{Version}.snupkg");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        Commit = (await DotNetCli.RunAsync("git", ["rev-parse", "HEAD"], RepositoryRoot, TimeSpan.FromSeconds(30))).Trim();

        // SourceLink maps the sources through a git remote's URL. Whatever this clone's origin is (none, a path, a CI
        // mirror), the pack reads a remote of its own, defined in a global git configuration for this run only.
        var gitConfigHome = Path.Combine(WorkDirectory, "xdg");
        Directory.CreateDirectory(Path.Combine(gitConfigHome, "git"));
        await File.WriteAllTextAsync(Path.Combine(gitConfigHome, "git", "config"), $"[remote \"{SourceLinkRemote}\"]\n\turl = {RepositoryWebUrl}.git\n");

        foreach (var id in Ids)
        {
            File.Delete(PackagePath(id));
            File.Delete(SymbolPackagePath(id));
        }

        var buildDirectory = Path.Combine(ArtifactsDirectory, "package-build");
        if (Directory.Exists(buildDirectory))
        {
            Directory.Delete(buildDirectory, recursive: true);
        }

        foreach (var id in Ids)
        {
            await DotNetCli.RunAsync(
                "dotnet",
                [
                    "pack", Path.Combine(RepositoryRoot, "src", id, id + ".csproj"), "-c", "Release",
                    "--artifacts-path", buildDirectory,
                    // CI=true restricts SourceLink to the clone's local git configuration; this lets it read the global one.
                    "-p:GitRepositoryConfigurationScope=",
                    $"-p:GitRepositoryRemoteName={SourceLinkRemote}",
                ],
                RepositoryRoot,
                PackTimeout,
                new Dictionary<string, string?> { ["CI"] = "true", ["XDG_CONFIG_HOME"] = gitConfigHome });
        }
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Copies <c>Consumers/<paramref name="name"/></c> into the work folder with a <c>nuget.config</c> that takes the
    /// ErrorReporting packages from <c>artifacts/</c> only and everything else from nuget.org; returns the folder.
    /// </summary>
    private string CreateConsumer(string name)
    {
        var source = Path.Combine(RepositoryRoot, "tests", "ErrorReporting.Packages.Tests", "Consumers", name);
        var target = Path.Combine(WorkDirectory, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(target, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{ArtifactsDirectory}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="artifacts">
                  <package pattern="ErrorReporting" />
                  <package pattern="ErrorReporting.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        return target;
    }

    /// <summary>
    /// Creates the consumer <paramref name="name"/> and runs <c>dotnet <paramref name="verb"/> -c Release -o out</c> on it
    /// against the packed version, restoring into the isolated packages folder.
    /// </summary>
    public async Task<ConsumerBuild> BuildConsumerAsync(string name, string verb, TimeSpan timeout, params string[] arguments)
    {
        var project = CreateConsumer(name);
        var output = Path.Combine(project, "out");
        var log = await DotNetCli.RunAsync(
            "dotnet",
            [verb, "-c", "Release", "-o", output, $"-p:ErrorReportingVersion={Version}", .. arguments],
            project,
            timeout,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = NuGetPackagesFolder });
        return new ConsumerBuild(project, output, log);
    }

    private string BuildProperty(string name) =>
        XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Build.props")).Descendants(name).Single().Value.Trim();

    /// <summary>Finds the repository root: the folder above the test binaries that holds <c>ErrorReporting.sln</c>.</summary>
    public static string FindRepositoryRoot()
    {
        var folder = AppContext.BaseDirectory;
        while (folder is not null && !File.Exists(Path.Combine(folder, "ErrorReporting.sln")))
        {
            folder = Path.GetDirectoryName(folder);
        }

        return folder ?? throw new InvalidOperationException("No ErrorReporting.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>A consumer program built by <see cref="PackedPackages.BuildConsumerAsync"/>: its folder, output folder and build log.</summary>
public sealed record ConsumerBuild(string Project, string Output, string Log);

[CollectionDefinition(Name)]
public sealed class PackedPackagesDefinition : ICollectionFixture<PackedPackages>
{
    public const string Name = "Packed packages";
}
