using System.Net;
using System.Net.Sockets;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Hosting;

/// <summary>
/// Crashes in real child processes reporting to a real loopback server through the SDK's unhandled-exception
/// integrations: what nobody caught still reaches Sentry, marked handled:no, before the process dies; the process dies
/// as it would without the library; and beside <c>UseSentry()</c> one crash is still one event.
/// </summary>
public sealed class CrashTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("main-crash", "System.InvalidOperationException", "crash on the main thread", "OnMainThread", "")]
    [InlineData("thread-crash", "System.ArithmeticException", "crash on a background thread", "OnBackgroundThread", "")]
    [InlineData("async-void-crash", "System.NotSupportedException", "crash in an async void method", "InAsyncVoid", "")]
    [InlineData("main-crash", "System.InvalidOperationException", "crash on the main thread", "OnMainThread", "--host")]
    [InlineData("main-crash", "System.InvalidOperationException", "crash on the main thread", "OnMainThread", "--use-sentry")]
    [InlineData("thread-crash", "System.ArithmeticException", "crash on a background thread", "OnBackgroundThread", "--use-sentry")]
    public async Task Crash_AnyThread_DeliversOneUnhandledEventBeforeDyingWithTheSameExitCode(string mode, string type, string message, string function, string arrangement)
    {
        await using var server = await SentryTestServer.StartAsync();
        var controlExitCode = await RunControlAsync(mode);

        using var child = ChildProcess.Start(mode, Environment(server.Dsn), Flags(arrangement));
        await child.WaitForExitAsync(s_bound);

        Assert.Equal(controlExitCode, child.ExitCode);
        Assert.NotEqual(0, child.ExitCode);
        var received = Assert.Single(server.Events);
        Assert.False(received.Handled);
        Assert.Equal("AppDomain.UnhandledException", received.MechanismType);
        Assert.Equal("error", received.Level);
        var last = received.Exceptions[^1];
        Assert.Equal(type, last.Type);
        Assert.Equal(message, last.Value);
        Assert.Contains(last.Frames, f => f.Function == function && f.Module == "Crashes" && f.FileName!.EndsWith("Program.cs", StringComparison.Ordinal));
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--use-sentry")]
    public async Task UnobservedTask_Collected_DeliversOneUnhandledExceptionGroupAndExitsZero(string arrangement)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var child = ChildProcess.Start("unobserved-task", Environment(server.Dsn), Flags(arrangement));
        await child.WaitForExitAsync(s_bound);

        Assert.Contains("collected", child.Output);
        Assert.Equal(0, child.ExitCode);
        var received = Assert.Single(server.Events);
        Assert.False(received.Handled);
        Assert.Equal("UnobservedTaskException", received.MechanismType);
        var last = received.Exceptions[^1];
        Assert.Equal("System.AggregateException", last.Type);
        Assert.True(last.Mechanism!.IsExceptionGroup);
        Assert.Contains(received.Exceptions, e => e.Type == "System.TimeoutException" && e.Value == "nobody awaited this task");
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--host")]
    [InlineData("--use-sentry")]
    public async Task ReportedThenRethrown_Crash_DeliversExactlyOneHandledEvent(string arrangement)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var child = ChildProcess.Start("handled-then-rethrow", Environment(server.Dsn), Flags(arrangement));
        await child.WaitForExitAsync(s_bound);

        Assert.NotEqual(0, child.ExitCode);
        var received = Assert.Single(server.Events);
        Assert.True(received.Handled);
        Assert.Equal(Assert.Single(child.ReportedIds), received.EventId);
        Assert.Equal("System.FormatException", received.Exceptions[^1].Type);
    }

    [Fact]
    public async Task Crash_DsnHostUnreachable_StillCrashesWithTheSameExitCode()
    {
        var shutdownTimeout = TimeSpan.FromSeconds(1);
        var environment = Environment($"http://0123456789abcdef0123456789abcdef@127.0.0.1:{ClosedPort()}/42", shutdownTimeout);
        var controlExitCode = await RunControlAsync("main-crash");

        using var child = ChildProcess.Start("main-crash", environment);
        await child.WaitReadyAsync(s_bound);

        // The engine retries a refused connection for as long as the process lives; the crash's flush gives it
        // ShutdownTimeout (1 s). A crash that waited for the server instead would never end: the bounded wait fails.
        await child.WaitForExitAsync(s_bound);

        Assert.Equal(controlExitCode, child.ExitCode);
        Assert.Contains(child.ErrorOutput.Split('\n'), line => line.Contains("crash on the main thread", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReportAndReturn_NoFlush_ProcessExitDeliversTheEvent()
    {
        await using var server = await SentryTestServer.StartAsync();

        using var child = ChildProcess.Start("report-and-return", Environment(server.Dsn));
        await child.WaitForExitAsync(s_bound);

        Assert.Equal(0, child.ExitCode);
        var received = Assert.Single(server.Events);
        Assert.Equal(Assert.Single(child.ReportedIds), received.EventId);
    }

    [Fact]
    public async Task HostStop_ReportPending_IsDeliveredByTheStopFlush()
    {
        await using var server = await SentryTestServer.StartAsync();

        using var child = ChildProcess.Start("report-and-stop-host", Environment(server.Dsn), "--host");
        await child.WaitForExitAsync(s_bound);

        Assert.Contains("stopped", child.Output);
        var received = Assert.Single(server.Events);
        Assert.Equal(Assert.Single(child.ReportedIds), received.EventId);
    }

    private static string[] Flags(string arrangement) => arrangement.Length == 0 ? [] : [arrangement];

    private static Dictionary<string, string?> Environment(string dsn, TimeSpan? shutdownTimeout = null) => new()
    {
        ["SENTRY_DSN"] = dsn,
        ["Sentry__ShutdownTimeout"] = (shutdownTimeout ?? TimeSpan.FromSeconds(10)).ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>How the same crash ends without the library: the exit code the library must not change.</summary>
    private static async Task<int> RunControlAsync(string mode)
    {
        using var control = ChildProcess.Start(mode, new Dictionary<string, string?>(), "--no-hooks");
        await control.WaitForExitAsync(s_bound);
        return control.ExitCode;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
