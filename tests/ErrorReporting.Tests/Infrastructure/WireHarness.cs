using ErrorReporting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// The real reporter (HTTP transport, gzip) pointed at a real loopback Sentry-compatible server.
/// </summary>
internal sealed class WireHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ServiceProvider? _provider;

    private readonly SentryTestServer? _server;

    private WireHarness(SentryTestServer? server) => _server = server;

    public SentryTestServer Server => _server ?? throw new InvalidOperationException("This harness has no server.");

    public IErrorReporter Reporter { get; private set; } = null!;

    public ErrorReporting.Reporting.ErrorReporter Enabled => (ErrorReporting.Reporting.ErrorReporter)Reporter;

    public ListLoggerProvider Logs { get; } = new();

    public static async Task<WireHarness> StartAsync(Action<ErrorReportingOptions>? configure = null, SentryTestServerOptions? serverOptions = null)
    {
        var harness = new WireHarness(await SentryTestServer.StartAsync(serverOptions));
        harness.StartReporter(harness.Server.Dsn, configure);
        return harness;
    }

    /// <summary>Starts a reporter for a DSN where no server runs yet (connection refused).</summary>
    public static WireHarness WithoutServer(string dsn, Action<ErrorReportingOptions>? configure = null)
    {
        var harness = new WireHarness(null);
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

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private void StartReporter(string dsn, Action<ErrorReportingOptions>? configure)
    {
        _provider = TestReporters.Build(dsn, configure, Logs);
        Reporter = _provider.GetRequiredService<IErrorReporter>();
    }
}
