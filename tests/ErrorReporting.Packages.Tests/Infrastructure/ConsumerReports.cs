using ErrorReporting.Testing;

namespace ErrorReporting.Packages.Tests.Infrastructure;

/// <summary>
/// What the console and Native AOT consumers do (report one handled exception thrown by <c>Checkout.PlaceOrder</c> and
/// one warning message through <see cref="IErrorReporter"/>, then flush) checked on the wire: the ids they printed are
/// the events the server received, built by the Sentry SDK.
/// </summary>
internal static class ConsumerReports
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Bound for every wait on the test server: generous, only reached when something is broken.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Asserts both events; returns the handled exception's event for further checks.</summary>
    public static async Task<ReceivedEvent> AssertDeliveredAsync(SentryTestServer server, string output, string name)
    {
        Assert.Equal("True", DotNetCli.Value(output, "enabled"));
        Assert.Equal("True", DotNetCli.Value(output, "flushed"));
        Assert.DoesNotContain(server.PublicKey, output, StringComparison.Ordinal);

        var handled = await server.WaitForEventAsync(DotNetCli.Value(output, "handled"), WaitTimeout);
        Assert.Equal("sentry.dotnet", handled.SdkName);
        Assert.StartsWith("6.12.1", handled.SdkVersion, StringComparison.Ordinal);
        Assert.True(handled.Handled);
        Assert.Equal("generic", handled.MechanismType);
        Assert.Equal("error", handled.Level);
        Assert.Equal(name, handled.Environment);
        Assert.Equal(name + "@1.0.0", handled.Release);
        var exception = Assert.Single(handled.Exceptions);
        Assert.Equal("System.InvalidOperationException", exception.Type);
        Assert.Equal($"Thrown by the {name} app.", exception.Value);
        var frame = Assert.Single(exception.Frames, f => f.Function == "PlaceOrder");
        Assert.True(frame.InApp, $"The throwing method's frame is not in-app: {frame}");

        var message = await server.WaitForEventAsync(DotNetCli.Value(output, "message"), WaitTimeout);
        Assert.Equal("sentry.dotnet", message.SdkName);
        Assert.Equal("warning", message.Level);
        Assert.Equal($"Message from the {name} app.", message.Message);
        Assert.Empty(message.Exceptions);

        Assert.Equal(2, server.Events.Count);
        Assert.Empty(server.Rejections);
        return handled;
    }
}
