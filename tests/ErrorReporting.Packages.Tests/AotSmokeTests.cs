using ErrorReporting.Packages.Tests.Infrastructure;
using ErrorReporting.Testing;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// The ErrorReporting package, with the Sentry SDK under it, in a Native AOT app (<c>Consumers/AotSmoke</c>, net10.0).
/// The Sentry package links a native library (<c>libsentry-native.a</c>, for native crash capture) into every Native AOT
/// binary unless <c>SentryNative=false</c>; 6.12.1's is built against glibc 2.38. Published with
/// <c>-p:SentryNative=false</c> (the README's advice below glibc 2.38), the app has zero trim/AOT warnings and, run as a
/// native binary (no .NET runtime involved), reports to the test server and runs ErrorReporting's health check.
/// </summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class AotSmokeTests(PackedPackages packages)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task AotSmoke_PublishedWithSentryNativeFalse_HasNoTrimOrAotWarningsAndReportsOnTheWire()
    {
        await using var server = await SentryTestServer.StartAsync();
        var publish = await packages.BuildConsumerAsync("AotSmoke", "publish", PublishTimeout, "-r", "linux-x64", "-p:SentryNative=false");

        // TreatWarningsAsErrors would have failed the publish; this also catches a warning that is not an error.
        Assert.DoesNotContain(": warning ", publish.Log, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Generating native code", publish.Log, StringComparison.Ordinal);
        var binary = Path.Combine(publish.Output, "AotSmoke");
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(binary)[..4]);
        Assert.False(File.Exists(Path.Combine(publish.Output, "AotSmoke.dll")), "A native AOT publish has no managed entry assembly.");

        var run = await DotNetCli.RunAsync(binary, [server.Dsn], publish.Project, ConsumerReports.RunTimeout);

        var handled = await ConsumerReports.AssertDeliveredAsync(server, run, "aot-smoke");
        Assert.Equal("no", handled.Tags["dynamic-code"]); // it really ran as native code, with options bound from configuration
        var frame = Assert.Single(handled.Exceptions[0].Frames, f => f.Function == "PlaceOrder");
        Assert.Equal("Checkout", frame.Module);

        // The health check, trimmed and compiled ahead of time like the rest, saw both deliveries.
        Assert.Equal("Healthy", DotNetCli.Value(run, "health"));
        Assert.Equal("2", DotNetCli.Value(run, "health-delivered"));
    }

    /// <summary>
    /// Why the README tells users when they need <c>SentryNative=false</c>: a default Native AOT publish links the
    /// Sentry package's native library, whose objects call glibc 2.38's C23 functions (<c>__isoc23_strtol</c>, …). Below
    /// glibc 2.38 (Debian 12 has 2.36) the link fails; from 2.38 on it links.
    /// </summary>
    [Fact]
    public async Task AotSmoke_DefaultPublish_LinksTheSentryNativeLibraryOnlyFromGlibc238()
    {
        var glibc = await GlibcVersionAsync();
        var project = packages.CreateConsumer("AotSmoke");

        var publish = await packages.RunConsumerCommandAsync(project, "publish", PublishTimeout, "-r", "linux-x64");

        if (glibc < new Version(2, 38))
        {
            Assert.NotEqual(0, publish.ExitCode);
            Assert.Contains("libsentry-native.a", publish.Output, StringComparison.Ordinal); // in the failed link command
            Assert.Contains("undefined reference to `__isoc23_strtol'", publish.Output, StringComparison.Ordinal);
            Assert.Contains("ld returned 1 exit status", publish.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(project, "out", "AotSmoke")));
        }
        else
        {
            Assert.True(publish.ExitCode == 0, $"glibc {glibc}: '{publish.CommandLine}' exited with {publish.ExitCode}:\n{publish.Output}");
        }
    }

    private static async Task<Version> GlibcVersionAsync()
    {
        // "glibc 2.36"
        var text = await DotNetCli.RunAsync("getconf", ["GNU_LIBC_VERSION"], Path.GetTempPath(), TimeSpan.FromSeconds(30));
        return Version.Parse(text.Trim().Split(' ')[^1]);
    }
}
