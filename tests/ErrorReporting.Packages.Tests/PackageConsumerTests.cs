using ErrorReporting.Packages.Tests.Infrastructure;
using ErrorReporting.Testing;

namespace ErrorReporting.Packages.Tests;

/// <summary>
/// Programs outside this repository's build restore the packages from <c>artifacts/</c> (not project references) through
/// their own <c>nuget.config</c> and report to the test server over loopback HTTP: a console app (ErrorReporting and
/// ErrorReporting.Testing) and an ASP.NET Core app (ErrorReporting.AspNetCore) in both documented arrangements. A missing
/// dependency, file or target framework in a package fails here.
/// </summary>
[Collection(PackedPackagesDefinition.Name)]
public sealed class PackageConsumerTests(PackedPackages packages)
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ConsoleConsumer_RestoredFromArtifacts_ReportsHandledExceptionAndMessageOnTheWire()
    {
        await using var server = await SentryTestServer.StartAsync();
        var build = await packages.GetBuiltConsumerAsync("ConsoleConsumer", BuildTimeout);
        var run = await DotNetCli.RunAsync("dotnet", [Path.Combine(build.Output, "ConsoleConsumer.dll"), server.Dsn], build.Project, ConsumerReports.RunTimeout);

        var handled = await ConsumerReports.AssertDeliveredAsync(server, run, "console-consumer");
        Assert.Equal("42", handled.Tags["order"]);
        Assert.Equal("Checkout", Assert.Single(handled.Exceptions[0].Frames, f => f.Function == "PlaceOrder").Module);
        Assert.Equal("1:unit-test", DotNetCli.Value(run, "recorded"));
    }

    [Theory]
    [InlineData("use-error-reporting")]
    [InlineData("beside-use-sentry")]
    public async Task WebConsumer_RequestThrows_ReportsOneUnhandledEventWhoseIdIsInProblemDetailsAndHeader(string arrangement)
    {
        await using var server = await SentryTestServer.StartAsync();
        var build = await packages.GetBuiltConsumerAsync("WebConsumer", BuildTimeout);
        var run = await DotNetCli.RunAsync(
            "dotnet", [Path.Combine(build.Output, "WebConsumer.dll"), server.Dsn, arrangement], build.Project, ConsumerReports.RunTimeout);

        Assert.Equal("500", DotNetCli.Value(run, "failure-status"));
        Assert.Equal("application/problem+json", DotNetCli.Value(run, "failure-content-type"));
        var eventId = DotNetCli.Value(run, "failure-event-id");
        Assert.Matches("^[0-9a-f]{32}$", eventId);
        Assert.Equal(eventId, DotNetCli.Value(run, "failure-header"));
        Assert.Equal("True", DotNetCli.Value(run, "flushed"));
        Assert.DoesNotContain(server.PublicKey, run, StringComparison.Ordinal);

        var failure = await server.WaitForEventAsync(eventId, ConsumerReports.WaitTimeout);
        Assert.Equal("sentry.dotnet.aspnetcore", failure.SdkName);
        Assert.False(failure.Handled);
        Assert.Equal("AspNetCore.ExceptionHandler", failure.MechanismType);
        Assert.Equal("error", failure.Level);
        Assert.Equal("web-consumer", failure.Environment);
        Assert.Equal("web-consumer@1.0.0", failure.Release);
        Assert.Equal("GET /orders/{id}", failure.Transaction);
        Assert.EndsWith("/orders/42", failure.Request?.Url, StringComparison.Ordinal);
        var exception = Assert.Single(failure.Exceptions);
        Assert.Equal("Order 42 failed in the web-consumer app.", exception.Value);
        Assert.Contains(exception.Frames, f => f.Function == "PlaceOrder" && f.InApp == true);

        var handled = await server.WaitForEventAsync(DotNetCli.Value(run, "handled"), ConsumerReports.WaitTimeout);
        Assert.True(handled.Handled);
        Assert.Equal("Order handled failed in the web-consumer app.", Assert.Single(handled.Exceptions).Value);

        // One event per failure: nothing else (no second capture of the request's exception by Sentry's middleware or
        // its logger) arrived before the app flushed everything and exited.
        Assert.Equal(2, server.Events.Count);
        Assert.Single(server.Events, e => e.Exceptions.Any(x => x.Value == exception.Value));
        Assert.Empty(server.Rejections);
    }
}
