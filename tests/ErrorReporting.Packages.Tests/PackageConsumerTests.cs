using System.Text.Json;
using ErrorReporting.Packages.Tests.Infrastructure;
using ErrorReporting.Testing;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// A console program outside this repository's build restores the three packages from <c>artifacts/</c> (not project
/// references) and reports to the test server: a missing dependency, file or target framework in a package fails here.
/// </summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class PackageConsumerTests(PackedPackages packages)
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Consumer_RestoredFromArtifacts_ReportsHandledExceptionAndMessageOnTheWire()
    {
        await using var server = await SentryTestServer.StartAsync();
        var build = await packages.BuildConsumerAsync("PackageConsumer", "build", BuildTimeout);
        var run = await DotNetCli.RunAsync("dotnet", [Path.Combine(build.Output, "PackageConsumer.dll"), server.Dsn], build.Project, ConsumerReports.RunTimeout);

        await ConsumerReports.AssertDeliveredAsync(server, run, "package-consumer");
        Assert.Equal("1", DotNetCli.Value(run, "exception-handlers"));
        Assert.Equal("AspNetCore.ExceptionHandler", DotNetCli.Value(run, "web-mechanism"));
        Assert.Equal("1", DotNetCli.Value(run, "recorded"));
    }

    [Fact]
    public async Task ConsumerBuild_Restore_TakesEveryErrorReportingPackageFromArtifacts()
    {
        await packages.BuildConsumerAsync("PackageConsumer", "build", BuildTimeout);

        foreach (var id in PackedPackages.Ids)
        {
            var metadata = Path.Combine(packages.NuGetPackagesFolder, id.ToLowerInvariant(), packages.Version, ".nupkg.metadata");
            using var json = JsonDocument.Parse(File.ReadAllText(metadata));
            Assert.Equal(
                Path.TrimEndingDirectorySeparator(packages.ArtifactsDirectory),
                Path.TrimEndingDirectorySeparator(json.RootElement.GetProperty("source").GetString()!));
        }
    }
}
