using System.IO.Compression;
using System.Xml.Linq;
using ErrorReporting.Packages.Tests.Infrastructure;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// Package validation against the previous version, 0.1.0, on every pack (<c>build/Library.props</c>). 0.1.0 was never
/// published to a feed: its packages, packed from the last 0.1.0 commit, are kept in <c>build/package-baseline/</c>.
/// 1.0 breaks the 0.1 API on purpose; each break is recorded in <c>src/&lt;package&gt;/CompatibilitySuppressions.xml</c>.
/// The fixture's packs pass with those records; here the same build is packed again with and without them.
/// </summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class PackageValidationTests(PackedPackages packages)
{
    private const string BaselineVersion = "0.1.0";

    /// <summary>The last commit whose <c>VersionPrefix</c> is 0.1.0.</summary>
    private const string BaselineCommit = "1b1842e516468616b7678a965e4c83f9fd4926d2";

    public static TheoryData<string> Ids => [.. PackedPackages.Ids];

    [Fact]
    public void Version_ComparedWithTheBaseline_IsTheNextMajorVersion()
    {
        // The public types changed, so 0.1.0 is followed by 1.0.0, not 0.2.0.
        Assert.Equal("1.0.0", packages.Version);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Baseline_Package_Is010PackedFromItsCommit(string id)
    {
        using var package = ZipFile.OpenRead(BaselinePath(id));
        using var stream = package.GetEntry(id + ".nuspec")!.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

        Assert.Equal(id, metadata.Elements().Single(e => e.Name.LocalName == "id").Value);
        Assert.Equal(BaselineVersion, metadata.Elements().Single(e => e.Name.LocalName == "version").Value);
        Assert.Equal(BaselineCommit, metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("commit")?.Value);
        Assert.Contains($"lib/net8.0/{id}.dll", package.Entries.Select(e => e.FullName));
        Assert.Contains($"lib/net10.0/{id}.dll", package.Entries.Select(e => e.FullName));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Suppressions_Package_RecordOnlyBreaksAgainstTheBaseline(string id)
    {
        var suppressions = XDocument.Load(Path.Combine(packages.RepositoryRoot, "src", id, "CompatibilitySuppressions.xml"))
            .Root!.Elements().Where(e => e.Name.LocalName == "Suppression").ToList();

        Assert.NotEmpty(suppressions);
        Assert.All(suppressions, s =>
        {
            // Not a difference between the target frameworks of one version, which package validation must keep finding.
            Assert.Equal("true", s.Element("IsBaselineSuppression")?.Value);
            Assert.Matches($"^lib/net(8|10)\\.0/{id.Replace(".", "\\.", StringComparison.Ordinal)}\\.dll$", s.Element("Left")?.Value);
            Assert.Equal(s.Element("Left")?.Value, s.Element("Right")?.Value);
        });
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Pack_WithTheRecordedBreaks_PassesValidationAgainstTheBaseline(string id)
    {
        var result = await packages.RepackAsync(id, NewOutputDirectory());

        Assert.True(result.ExitCode == 0, $"'{result.CommandLine}' exited with {result.ExitCode}:\n{result.Output}");
        Assert.DoesNotContain("error CP", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ErrorReporting", "ErrorReporting.SentryEventId")]
    [InlineData("ErrorReporting.Testing", "ErrorReporting.Testing.RecordedReport.ScopeTags")]
    [InlineData("ErrorReporting.AspNetCore", "ErrorReporting.ErrorReportingHttpContextExtensions.CreateReportContext")]
    public async Task Pack_WithoutTheRecordedBreaks_FailsValidationAgainstTheBaseline(string id, string removedApi)
    {
        var noSuppressions = Path.Combine(packages.WorkDirectory, $"no-suppressions-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(noSuppressions, """
            <?xml version="1.0" encoding="utf-8"?>
            <Suppressions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" />
            """);

        var result = await packages.RepackAsync(id, NewOutputDirectory(), $"CompatibilitySuppressionFilePath={noSuppressions}");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("API breaking changes found", result.Output, StringComparison.Ordinal);
        Assert.Contains($"({BaselinePath(id)})", result.Output, StringComparison.Ordinal);
        Assert.Contains(result.Output.Split('\n'), line => line.Contains("error CP000", StringComparison.Ordinal) && line.Contains(removedApi, StringComparison.Ordinal));
    }

    private string BaselinePath(string id) =>
        Path.Combine(packages.RepositoryRoot, "build", "package-baseline", $"{id}.{BaselineVersion}.nupkg");

    private string NewOutputDirectory() => Path.Combine(packages.WorkDirectory, "repack-" + Guid.NewGuid().ToString("N")[..8]);
}
