using System.Diagnostics.Metrics;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Reporting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Configuration;

/// <summary>
/// Creates the <see cref="IErrorReporter"/> singleton: the disabled reporter when no DSN is configured, else the
/// enabled one. Reading the options validates them, so an invalid DSN fails here, at start-up, not at the first report.
/// </summary>
internal static class ErrorReporterFactory
{
    public static IErrorReporter Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        if (string.IsNullOrWhiteSpace(options.Dsn))
        {
            Log.Disabled(loggerFactory.CreateLogger(Log.Category));
            return DisabledErrorReporter.Instance;
        }

        var dsn = Dsn.Parse(options.Dsn);

        // Resolved now: the provider may be disposing by the time the background pipeline is built. The default HTTP
        // transport (an HttpClient) is built there, off the start-up path.
        var registered = services.GetService<IEnvelopeTransport>();
        return new ErrorReporter(
            options,
            dsn,
            () => registered ?? new HttpEnvelopeTransport(dsn, options.SendTimeout),
            loggerFactory,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<IMeterFactory>());
    }
}
