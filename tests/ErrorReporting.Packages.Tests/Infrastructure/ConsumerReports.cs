using ErrorReporting.Testing;

namespace ErrorReporting.Packages.Tests.Infrastructure;

/// <summary>
/// What every consumer program does (reports one handled exception and one warning message, then flushes) checked on
/// the wire: the ids it printed are the events the server received.
/// </summary>
internal static class ConsumerReports
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Asserts both events; returns the handled exception's event for further checks.</summary>
    public static async Task<ReceivedEvent> AssertDeliveredAsync(SentryTestServer server, string output, string name)
    {
        Assert.Equal("True", DotNetCli.Value(output, "flushed"));

        var handled = await server.WaitForEventAsync(DotNetCli.Value(output, "handled"), RunTimeout);
        Assert.True(handled.Handled);
        Assert.Equal("error", handled.Level);
        Assert.Equal(name, handled.Environment);
        Assert.Equal(name + "@1.0.0", handled.Release);
        var exception = Assert.Single(handled.Exceptions);
        Assert.Equal("System.InvalidOperationException", exception.Type);
        Assert.Equal($"Thrown by the {name} app.", exception.Value);

        var message = await server.WaitForEventAsync(DotNetCli.Value(output, "message"), RunTimeout);
        Assert.Equal("warning", message.Level);
        Assert.Equal($"Message from the {name} app.", message.Message);
        Assert.Equal(2, server.Events.Count);
        return handled;
    }
}
