using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using ErrorReporting.Packages.Tests.Infrastructure;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// The packages' dependencies on the Sentry SDK: the version range each declares, the SDK assemblies each really uses,
/// and what a consumer restores; and the Microsoft.Extensions versions they ask for.
/// </summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class PackageDependencyTests(PackedPackages packages)
{
    /// <summary>The range of every Sentry dependency: the oldest tested version up to the next major version.</summary>
    private const string SentryRange = "[6.12.1, 7.0.0)";

    private const string LowestSentryVersion = "6.12.1";

    private static readonly TimeSpan RestoreTimeout = TimeSpan.FromMinutes(5);

    private static readonly string[] SentryPackageIds = ["Sentry", "Sentry.AspNetCore", "Sentry.Extensions.Logging"];

    [Fact]
    public void Pack_ErrorReporting_DependsOnSentryInTheRangeForEachTargetFramework()
    {
        var groups = DependencyGroups("ErrorReporting");

        Assert.Equal(["net10.0", "net8.0"], groups.Keys.Order(StringComparer.Ordinal));
        Assert.All(groups.Values, dependencies =>
        {
            Assert.Equal(SentryRange, dependencies["Sentry"]);
            Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("ErrorReporting", StringComparison.Ordinal));
            Assert.Equal(["Sentry"], dependencies.Keys.Where(id => id.StartsWith("Sentry", StringComparison.Ordinal)));
        });
    }

    /// <summary>
    /// The Microsoft.Extensions dependencies ask for the target framework's own release line at its lowest patch that
    /// works (8.0.x on net8.0, 10.0.0 on net10.0): a runtime of that line is never older, so an ASP.NET Core application
    /// keeps the shared framework's precompiled copies instead of loading IL-only package copies.
    /// </summary>
    [Fact]
    public void Pack_ErrorReporting_DependsOnMicrosoftExtensionsOfEachFrameworksOwnRelease()
    {
        var groups = DependencyGroups("ErrorReporting");

        Assert.All(groups, group =>
        {
            var extensions = group.Value.Where(d => d.Key.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(extensions);
            Assert.All(extensions, d => Assert.True(
                group.Key == "net8.0" ? d.Value.StartsWith("8.0.", StringComparison.Ordinal) : d.Value == "10.0.0",
                $"{group.Key}: {d.Key} {d.Value}"));
        });
    }

    [Fact]
    public void Pack_ErrorReportingAspNetCore_DependsOnSentryAspNetCoreInTheRangeAndOnErrorReporting()
    {
        var groups = DependencyGroups("ErrorReporting.AspNetCore");

        Assert.Equal(["net10.0", "net8.0"], groups.Keys.Order(StringComparer.Ordinal));
        Assert.All(groups.Values, dependencies =>
        {
            Assert.Equal(packages.Version, dependencies["ErrorReporting"]);
            Assert.Equal(SentryRange, dependencies["Sentry.AspNetCore"]);
            Assert.Equal(["Sentry.AspNetCore"], dependencies.Keys.Where(id => id.StartsWith("Sentry", StringComparison.Ordinal)));
        });
    }

    [Fact]
    public void Pack_ErrorReportingTesting_DependsOnErrorReportingAndOnNoSentryPackage()
    {
        var groups = DependencyGroups("ErrorReporting.Testing");

        Assert.Equal(["net10.0", "net8.0"], groups.Keys.Order(StringComparer.Ordinal));
        Assert.All(groups.Values, dependencies =>
        {
            Assert.Equal(packages.Version, dependencies["ErrorReporting"]);
            Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("Sentry", StringComparison.Ordinal));
        });
    }

    /// <summary>
    /// Each package's assemblies reference only the SDK assemblies its dependencies bring: ErrorReporting and
    /// ErrorReporting.Testing the core <c>Sentry</c> only (Testing gets it through ErrorReporting), and
    /// ErrorReporting.AspNetCore what <c>Sentry.AspNetCore</c> brings.
    /// </summary>
    [Theory]
    [InlineData("ErrorReporting", "Sentry")]
    [InlineData("ErrorReporting.Testing", "Sentry")]
    [InlineData("ErrorReporting.AspNetCore", "Sentry,Sentry.AspNetCore,Sentry.Extensions.Logging")]
    public void Pack_PackageAssemblies_ReferenceOnlyTheSdkAssembliesTheirDependenciesBring(string id, string allowed)
    {
        using var package = ZipFile.OpenRead(packages.PackagePath(id));

        foreach (var framework in new[] { "net8.0", "net10.0" })
        {
            var references = AssemblyReferences(package, $"lib/{framework}/{id}.dll");
            var sentry = references.Where(r => r == "Sentry" || r.StartsWith("Sentry.", StringComparison.Ordinal)).ToList();
            Assert.Contains("Sentry", sentry);
            Assert.All(sentry, r => Assert.Contains(r, allowed.Split(',')));
        }
    }

    [Fact]
    public void Pack_ErrorReportingAspNetCore_UsesSentryAspNetCore()
    {
        using var package = ZipFile.OpenRead(packages.PackagePath("ErrorReporting.AspNetCore"));

        Assert.Contains("Sentry.AspNetCore", AssemblyReferences(package, "lib/net10.0/ErrorReporting.AspNetCore.dll"));
        Assert.Contains("Sentry.AspNetCore", AssemblyReferences(package, "lib/net8.0/ErrorReporting.AspNetCore.dll"));
    }

    [Fact]
    public async Task ConsumerRestore_Packages_TakesEveryErrorReportingPackageFromArtifacts()
    {
        foreach (var consumer in new[] { "ConsoleConsumer", "WebConsumer" })
        {
            var project = packages.CreateConsumer(consumer);
            await RestoreAsync(project);
        }

        foreach (var id in PackedPackages.Ids)
        {
            var metadata = Path.Combine(packages.NuGetPackagesFolder, id.ToLowerInvariant(), packages.Version, ".nupkg.metadata");
            using var json = JsonDocument.Parse(File.ReadAllText(metadata));
            Assert.Equal(
                Path.TrimEndingDirectorySeparator(packages.ArtifactsDirectory),
                Path.TrimEndingDirectorySeparator(json.RootElement.GetProperty("source").GetString()!));
        }
    }

    /// <summary>
    /// NuGet restores the lowest version a range allows, so 6.12.1, the version ErrorReporting is tested with, is what a
    /// consumer gets even when later 6.x versions are on its sources. The package source here serves only 6.12.1; a
    /// folder with a later version of each Sentry package (metadata only, never extracted) is added beside it.
    /// </summary>
    [Theory]
    [InlineData("ConsoleConsumer", "Sentry")]
    [InlineData("WebConsumer", "Sentry,Sentry.AspNetCore,Sentry.Extensions.Logging")]
    public async Task ConsumerRestore_LaterSentryVersionsOnTheSources_ResolvesTheLowestVersionOfTheRange(string consumer, string expected)
    {
        var laterVersions = Path.Combine(packages.WorkDirectory, "later-sentry-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(laterVersions);
        foreach (var id in SentryPackageIds)
        {
            WriteMetadataOnlyPackage(laterVersions, id, "6.99.0");
        }

        var project = packages.CreateConsumer(consumer, new PackageFolderSource("later-sentry", laterVersions, SentryPackageIds));
        await RestoreAsync(project);

        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(project, "obj", "project.assets.json")));
        var libraries = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
        var sentry = libraries.Where(l => l.StartsWith("Sentry/", StringComparison.Ordinal) || l.StartsWith("Sentry.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        Assert.Equal(expected.Split(',').Select(id => $"{id}/{LowestSentryVersion}").Order(StringComparer.Ordinal), sentry);
        Assert.False(Directory.Exists(Path.Combine(packages.NuGetPackagesFolder, "sentry", "6.99.0")));
    }

    private async Task RestoreAsync(string project)
    {
        var restore = await packages.RunConsumerCommandAsync(project, "restore", RestoreTimeout);
        Assert.True(restore.ExitCode == 0, $"'{restore.CommandLine}' exited with {restore.ExitCode}:\n{restore.Output}");
        Assert.DoesNotContain(": warning ", restore.Output, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Gets each target framework group's dependencies (id to version range) from the package's nuspec.</summary>
    private Dictionary<string, Dictionary<string, string>> DependencyGroups(string id)
    {
        using var package = ZipFile.OpenRead(packages.PackagePath(id));
        using var stream = package.GetEntry(id + ".nuspec")!.Open();
        var dependencies = XDocument.Load(stream).Descendants().Single(e => e.Name.LocalName == "dependencies");
        return dependencies.Elements().Where(e => e.Name.LocalName == "group").ToDictionary(
            g => g.Attribute("targetFramework")!.Value,
            g => g.Elements().ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value));
    }

    private static List<string> AssemblyReferences(ZipArchive package, string path)
    {
        using var assembly = new MemoryStream();
        using (var entry = package.GetEntry(path)!.Open())
        {
            entry.CopyTo(assembly);
        }

        assembly.Position = 0;
        using var reader = new PEReader(assembly);
        var metadata = reader.GetMetadataReader();
        return [.. metadata.AssemblyReferences.Select(r => metadata.GetString(metadata.GetAssemblyReference(r).Name))];
    }

    private static void WriteMetadataOnlyPackage(string folder, string id, string version)
    {
        using var package = ZipFile.Open(Path.Combine(folder, $"{id.ToLowerInvariant()}.{version}.nupkg"), ZipArchiveMode.Create);
        using var writer = new StreamWriter(package.CreateEntry(id + ".nuspec").Open());
        writer.Write($"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>ErrorReporting tests</authors>
                <description>A later version on the package sources, which a restore of the range must not choose.</description>
              </metadata>
            </package>
            """);
    }
}
