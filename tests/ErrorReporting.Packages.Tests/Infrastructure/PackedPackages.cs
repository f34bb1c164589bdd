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

    /// <summary>Gets the folder the packs build into (<c>--artifacts-path</c>): <c>artifacts/package-build/</c>.</summary>
    public string BuildDirectory => Path.Combine(ArtifactsDirectory, "package-build");

    /// <summary>Gets the version from its one place, <c>Directory.Build.props</c>.</summary>
    public string Version => BuildProperty("VersionPrefix");

    public string RepositoryWebUrl => BuildProperty("RepositoryWebUrl");

    public string Commit { get; private set; } = string.Empty;

    private readonly Dictionary<string, Task<ConsumerBuild>> _builds = [];

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

        Directory.CreateDirectory(ArtifactsDirectory); // absent in a fresh clone
        foreach (var id in Ids)
        {
            File.Delete(PackagePath(id));
            File.Delete(SymbolPackagePath(id));
        }

        // A fresh build folder also means package validation runs (it is skipped while its semaphore in obj/ is newer
        // than the package's inputs).
        if (Directory.Exists(BuildDirectory))
        {
            Directory.Delete(BuildDirectory, recursive: true);
        }

        foreach (var id in Ids)
        {
            await DotNetCli.RunAsync("dotnet", PackArguments(id), RepositoryRoot, PackTimeout, PackEnvironment);
        }
    }

    /// <summary>
    /// Packs <paramref name="id"/> again from the build the fixture made (<c>--no-build</c>: the same binaries) into
    /// <paramref name="outputDirectory"/>, with extra <c>-p:</c> properties, and package validation certainly running;
    /// returns the result whatever the exit code.
    /// </summary>
    public Task<ProcessResult> RepackAsync(string id, string outputDirectory, params string[] properties)
    {
        // Validation is skipped while its semaphore is newer than the package's inputs.
        foreach (var semaphore in Directory.GetFiles(Path.Combine(BuildDirectory, "obj", id), "*.ValidatePackage.semaphore", SearchOption.AllDirectories))
        {
            File.Delete(semaphore);
        }

        return DotNetCli.ExecuteAsync(
            "dotnet",
            [.. PackArguments(id), "--no-build", "-o", outputDirectory, .. properties.Select(p => "-p:" + p)],
            RepositoryRoot,
            PackTimeout,
            PackEnvironment);
    }

    private IReadOnlyDictionary<string, string?> PackEnvironment =>
        new Dictionary<string, string?> { ["CI"] = "true", ["XDG_CONFIG_HOME"] = Path.Combine(WorkDirectory, "xdg") };

    private List<string> PackArguments(string id) =>
    [
        "pack", Path.Combine(RepositoryRoot, "src", id, id + ".csproj"), "-c", "Release",
        "--artifacts-path", BuildDirectory,
        // CI=true restricts SourceLink to the clone's local git configuration; this lets it read the global one.
        "-p:GitRepositoryConfigurationScope=",
        $"-p:GitRepositoryRemoteName={SourceLinkRemote}",
    ];

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
    /// ErrorReporting packages from <c>artifacts/</c> only and everything else from nuget.org (and, for the package ids
    /// of each <paramref name="extraSources"/> entry, from that folder too); returns the folder.
    /// </summary>
    public string CreateConsumer(string name, params PackageFolderSource[] extraSources)
    {
        var source = Path.Combine(RepositoryRoot, "tests", "ErrorReporting.Packages.Tests", "Consumers", name);
        var target = Path.Combine(WorkDirectory, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        var sources = string.Concat(extraSources.Select(e => $"""

                <add key="{e.Key}" value="{e.Folder}" />
            """));
        // Source mapping takes the most specific pattern: an id mapped to an extra folder must be named for nuget.org too.
        var alsoFromNuGetOrg = string.Concat(extraSources.SelectMany(e => e.PackageIds).Distinct().Select(id => $"""

                  <package pattern="{id}" />
            """));
        var mappings = string.Concat(extraSources.Select(e => $"""

                <packageSource key="{e.Key}">{string.Concat(e.PackageIds.Select(id => $"<package pattern=\"{id}\" />"))}</packageSource>
            """));
        File.WriteAllText(Path.Combine(target, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{ArtifactsDirectory}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />{sources}
              </packageSources>
              <packageSourceMapping>
                <packageSource key="artifacts">
                  <package pattern="ErrorReporting" />
                  <package pattern="ErrorReporting.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />{alsoFromNuGetOrg}
                </packageSource>{mappings}
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
        var result = await RunConsumerCommandAsync(project, verb, timeout, arguments);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"'{result.CommandLine}' exited with {result.ExitCode}. Output:\n{result.Output}");
        }

        return new ConsumerBuild(project, Path.Combine(project, "out"), result.Output);
    }

    /// <summary>
    /// Builds the consumer <paramref name="name"/> once per test run (<c>dotnet build</c>) and hands every caller that
    /// same build.
    /// </summary>
    public Task<ConsumerBuild> GetBuiltConsumerAsync(string name, TimeSpan timeout)
    {
        lock (_builds)
        {
            if (!_builds.TryGetValue(name, out var build) || build.IsFaulted || build.IsCanceled)
            {
                build = BuildConsumerAsync(name, "build", timeout);
                _builds[name] = build;
            }

            return build;
        }
    }

    /// <summary>
    /// Runs <c>dotnet <paramref name="verb"/> -c Release -o out</c> in an existing consumer folder against the packed
    /// version, restoring into the isolated packages folder; returns the result whatever the exit code.
    /// </summary>
    public Task<ProcessResult> RunConsumerCommandAsync(string project, string verb, TimeSpan timeout, params string[] arguments) =>
        DotNetCli.ExecuteAsync(
            "dotnet",
            [verb, .. verb == "restore" ? Array.Empty<string>() : ["-c", "Release", "-o", Path.Combine(project, "out")], $"-p:ErrorReportingVersion={Version}", .. arguments],
            project,
            timeout,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = NuGetPackagesFolder });

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

/// <summary>A local folder a consumer's <c>nuget.config</c> adds as a package source for <paramref name="PackageIds"/> (besides nuget.org).</summary>
public sealed record PackageFolderSource(string Key, string Folder, IReadOnlyList<string> PackageIds);

[CollectionDefinition(Name)]
public sealed class PackedPackagesDefinition : ICollectionFixture<PackedPackages>
{
    public const string Name = "Packed packages";
}
