using ErrorReporting.Delivery;
using ErrorReporting.Hosting;
using ErrorReporting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// ErrorReporting as an application gets it (<c>AddErrorReporting</c> on a bare service collection, the real Sentry SDK,
/// the delivery engine, real HTTP) pointed at a real loopback <see cref="SentryTestServer"/>. Disposing it disposes the
/// provider (which closes the SDK), closes the SDK in any case, and stops the server.
/// </summary>
internal sealed class SdkHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private SdkHarness(SentryTestServer? server, ServiceProvider provider, ListLoggerProvider logs)
    {
        ServerOrNull = server;
        Provider = provider;
        Logs = logs;
        Reporter = provider.GetRequiredService<IErrorReporter>();
    }

    public SentryTestServer Server => ServerOrNull ?? throw new InvalidOperationException("This harness has no server.");

    public SentryTestServer? ServerOrNull { get; }

    public ServiceProvider Provider { get; }

    public IErrorReporter Reporter { get; }

    public ListLoggerProvider Logs { get; }

    /// <summary>Gets the delivery engine that serves the SDK's hub (fails the test when there is none).</summary>
    public DeliveryEngine Engine => Provider.GetRequiredService<EngineRegistry>().ServingEngine ?? throw new Xunit.Sdk.XunitException("No delivery engine of this container serves the SDK.");

    /// <summary>Starts a test server and ErrorReporting pointed at it; <paramref name="services"/> adds to the container (a clock, health checks).</summary>
    public static async Task<SdkHarness> StartAsync(Action<ErrorReportingOptions>? configure = null, SentryTestServerOptions? serverOptions = null, Action<IServiceCollection>? services = null)
    {
        var server = await SentryTestServer.StartAsync(serverOptions);
        try
        {
            return new SdkHarness(server, Build(server.Dsn, configure, services, out var logs), logs);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts ErrorReporting for a DSN where no server runs (connection refused), or for no DSN at all.</summary>
    public static SdkHarness WithoutServer(string? dsn, Action<ErrorReportingOptions>? configure = null, Action<IServiceCollection>? services = null)
        => new(null, Build(dsn, configure, services, out var logs), logs);

    /// <summary>Builds a provider with ErrorReporting configured (DSN, environment, release; a list logger at Debug) and <paramref name="services"/> added.</summary>
    public static ServiceProvider Build(string? dsn, Action<ErrorReportingOptions>? configure, Action<IServiceCollection>? services, out ListLoggerProvider logs)
    {
        var collected = new ListLoggerProvider();
        logs = collected;
        var collection = new ServiceCollection()
            .AddLogging(builder => builder.AddProvider(collected).SetMinimumLevel(LogLevel.Debug))
            .AddErrorReporting(options =>
            {
                options.Dsn = dsn;
                options.Environment = "test";
                options.Release = "tests@1.0.0";
                configure?.Invoke(options);
            });
        services?.Invoke(collection);
        return collection.BuildServiceProvider();
    }

    public async Task FlushAsync() => Assert.True(await Reporter.FlushAsync(Timeout), "ErrorReporting did not flush within 30 s.");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Provider.DisposeAsync();
        }
        finally
        {
            SentrySdk.Close();
            if (ServerOrNull is { } server)
            {
                await server.DisposeAsync();
            }
        }
    }
}
