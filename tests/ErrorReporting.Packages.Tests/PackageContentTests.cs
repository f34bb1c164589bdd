using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.Json;
using System.Xml.Linq;
using ErrorReporting.Packages.Tests.Infrastructure;

namespace ErrorReporting.Packages.Tests;

/// <summary>What <c>dotnet pack -c Release</c> puts into <c>artifacts/</c>: metadata, files, symbols with SourceLink.</summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class PackageContentTests(PackedPackages packages)
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    public static TheoryData<string> Ids => [.. PackedPackages.Ids];

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_Package_HasItsNuGetMetadata(string id)
    {
        using var package = ZipFile.OpenRead(packages.PackagePath(id));
        var metadata = Nuspec(package, id);
        string Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? string.Empty;

        Assert.Equal(id, Value("id"));
        Assert.Equal(packages.Version, Value("version"));
        Assert.Equal("ErrorReporting contributors", Value("authors"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("expression", metadata.Elements().Single(e => e.Name.LocalName == "license").Attribute("type")?.Value);
        Assert.True(Value("description").Length > 40, $"{id} has no real description.");
        Assert.Contains("sentry", Value("tags").Split(' '));
        Assert.Equal(packages.RepositoryWebUrl, Value("projectUrl"));
        Assert.Contains("CHANGELOG.md", Value("releaseNotes"), StringComparison.Ordinal);
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal(packages.Commit, repository.Attribute("commit")?.Value);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_Package_CarriesItsOwnReadme(string id)
    {
        using var package = ZipFile.OpenRead(packages.PackagePath(id));

        Assert.Equal("README.md", Nuspec(package, id).Elements().Single(e => e.Name.LocalName == "readme").Value);
        using var reader = new StreamReader(package.GetEntry("README.md")!.Open());
        Assert.Equal(File.ReadAllText(Path.Combine(packages.RepositoryRoot, "src", id, "README.md")), reader.ReadToEnd());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_Readme_InstallLineNamesThePackage(string id)
    {
        var readme = File.ReadAllLines(Path.Combine(packages.RepositoryRoot, "src", id, "README.md"));

        Assert.Contains($"dotnet add package {id}", readme);
        Assert.Contains(readme, line => line.Contains("net8.0 and net10.0", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_Package_HasBothTargetFrameworksWithXmlDocs(string id)
    {
        using var package = ZipFile.OpenRead(packages.PackagePath(id));
        var files = package.Entries.Select(e => e.FullName).ToHashSet();

        foreach (var framework in new[] { "net8.0", "net10.0" })
        {
            Assert.Contains($"lib/{framework}/{id}.dll", files);
            Assert.Contains($"lib/{framework}/{id}.xml", files);
        }

        Assert.DoesNotContain(files, f => f.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.Equal(2, files.Count(f => f.StartsWith("lib/", StringComparison.Ordinal) && f.EndsWith(".dll", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Pack_SymbolPackage_HasPortablePdbsWithSourceLinkToTheCommitAndDeterministicPaths(string id)
    {
        using var symbols = ZipFile.OpenRead(packages.SymbolPackagePath(id));

        foreach (var framework in new[] { "net8.0", "net10.0" })
        {
            var entry = symbols.GetEntry($"lib/{framework}/{id}.pdb");
            Assert.NotNull(entry);
            using var pdb = new MemoryStream();
            using (var stream = entry.Open())
            {
                stream.CopyTo(pdb);
            }

            pdb.Position = 0;
            using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
            var reader = provider.GetMetadataReader();

            var sourceLink = reader.CustomDebugInformation
                .Select(reader.GetCustomDebugInformation)
                .Single(c => reader.GetGuid(c.Kind) == SourceLinkKind);
            using var json = JsonDocument.Parse(reader.GetBlobBytes(sourceLink.Value));
            var mapping = Assert.Single(json.RootElement.GetProperty("documents").EnumerateObject());
            Assert.Equal("/_/*", mapping.Name);
            Assert.StartsWith("https://raw.githubusercontent.com/", mapping.Value.GetString(), StringComparison.Ordinal);
            Assert.EndsWith($"/{packages.Commit}/*", mapping.Value.GetString(), StringComparison.Ordinal);

            // ContinuousIntegrationBuild (CI=true): source paths are normalised, so two machines build the same bytes.
            var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
            Assert.Contains(documents, d => d.StartsWith($"/_/src/{id}/", StringComparison.Ordinal));
            Assert.All(documents, d => Assert.StartsWith("/_", d, StringComparison.Ordinal));
        }
    }

    private static XElement Nuspec(ZipArchive package, string id)
    {
        using var stream = package.GetEntry(id + ".nuspec")!.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
