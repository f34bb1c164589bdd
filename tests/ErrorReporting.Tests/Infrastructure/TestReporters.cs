using ErrorReporting.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>Builds a reporter through DI the way the tests need it: a DSN, test environment and release, optional logs and transport.</summary>
internal static class TestReporters
{
    public static ServiceProvider Build(string dsn, Action<ErrorReportingOptions>? configure, ListLoggerProvider? logs = null, IEnvelopeTransport? transport = null)
    {
        var services = new ServiceCollection();
        if (transport is not null)
        {
            services.AddSingleton(transport);
        }

        if (logs is not null)
        {
            services.AddLogging(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        }

        services.AddErrorReporting(options =>
        {
            options.Dsn = dsn;
            options.Environment = "test";
            options.Release = "app@1.2.3";
            configure?.Invoke(options);
        });
        return services.BuildServiceProvider();
    }
}
