using ErrorReporting.Packages.Tests.Infrastructure;
using ErrorReporting.Testing;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// The ErrorReporting package in a Native AOT app (<c>Consumers/AotSmoke</c>, net8.0): published with zero trim/AOT
/// warnings, run as a native binary (no .NET runtime involved), it reports to the test server.
/// </summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class AotSmokeTests(PackedPackages packages)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task AotSmoke_PublishedNatively_HasNoTrimOrAotWarningsAndReportsToTheTestServer()
    {
        await using var server = await SentryTestServer.StartAsync();
        var publish = await packages.BuildConsumerAsync("AotSmoke", "publish", PublishTimeout, "-r", "linux-x64");

        Assert.DoesNotContain(": warning ", publish.Log, StringComparison.OrdinalIgnoreCase);
        var binary = Path.Combine(publish.Output, "AotSmoke");
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(binary)[..4]);
        Assert.False(File.Exists(Path.Combine(publish.Output, "AotSmoke.dll")), "A native AOT publish has no managed entry assembly.");

        var run = await DotNetCli.RunAsync(binary, [server.Dsn], publish.Project, ConsumerReports.RunTimeout);

        var handled = await ConsumerReports.AssertDeliveredAsync(server, run, "aot-smoke");
        Assert.Equal("no", handled.Tags["dynamic-code"]); // it really ran as native code, with options bound from configuration

        // Native AOT keeps no reflection metadata for PlaceOrder: the frame is read from the runtime's text for it.
        var frame = Assert.Single(handled.Exceptions[0].Frames, f => f.Function == "PlaceOrder");
        Assert.Equal("Checkout", frame.Module);
        Assert.True(frame.InApp);
    }
}
