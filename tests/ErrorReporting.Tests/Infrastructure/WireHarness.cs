using ErrorReporting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// The real reporter (HTTP transport, gzip) pointed at a real loopback Sentry-compatible server.
/// </summary>
internal sealed class WireHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ServiceProvider? _provider;

    private WireHarness(SentryTestServer server) => Server = server;

    public SentryTestServer Server { get; }

    public IErrorReporter Reporter { get; private set; } = null!;

    public ErrorReporting.Reporting.ErrorReporter Enabled => (ErrorReporting.Reporting.ErrorReporter)Reporter;

    public ListLoggerProvider Logs { get; } = new();

    public static async Task<WireHarness> StartAsync(Action<ErrorReportingOptions>? configure = null, SentryTestServerOptions? serverOptions = null)
    {
        var harness = new WireHarness(await SentryTestServer.StartAsync(serverOptions));
        harness.StartReporter(harness.Server.Dsn, configure);
        return harness;
    }

    /// <summary>Starts a reporter for a DSN (used when the server starts later, or on a port nothing listens on).</summary>
    public static WireHarness ForDsn(SentryTestServer server, string dsn, Action<ErrorReportingOptions>? configure = null)
    {
        var harness = new WireHarness(server);
        harness.StartReporter(dsn, configure);
        return harness;
    }

    public async Task FlushAsync() => Assert.True(await Reporter.FlushAsync(Timeout), "The reporter did not flush within 30 s.");

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }

        await Server.DisposeAsync();
    }

    private void StartReporter(string dsn, Action<ErrorReportingOptions>? configure)
    {
        var services = new ServiceCollection()
            .AddLogging(builder => builder.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddErrorReporting(options =>
            {
                options.Dsn = dsn;
                options.Environment = "wire-test";
                options.Release = "wire@1.0.0";
                configure?.Invoke(options);
            });
        _provider = services.BuildServiceProvider();
        Reporter = _provider.GetRequiredService<IErrorReporter>();
    }
}
