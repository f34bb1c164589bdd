using ErrorReporting.Configuration;
using ErrorReporting.Diagnostics;
using ErrorReporting.Reporting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentry.Extensibility;

namespace ErrorReporting.Hosting;

/// <summary>
/// One Sentry per process: connects ErrorReporting to the SDK's hub, initialising the SDK only when nothing else does.
/// <list type="number">
/// <item><c>UseSentry()</c> or <c>AddSentry()</c> registered their hub factory in this container: it is called, so the
/// SDK is initialised once, by them, with their options (into which <see cref="SentryOptionsSetup{TOptions}"/> put the
/// delivery engine).</item>
/// <item>The SDK is already enabled (<c>SentrySdk.Init</c>, another container): its hub is used as it is.</item>
/// <item>Otherwise, with a DSN, ErrorReporting initialises the SDK with <see cref="ErrorReportingOptions"/>; without
/// one, the reporter is disabled and the SDK is not initialised.</item>
/// </list>
/// This happens when the host starts (<see cref="ErrorReportingHostedService"/>) or, without a host, when
/// <see cref="IErrorReporter"/> is first resolved. Disposing the container flushes for up to
/// <see cref="SentryOptions.ShutdownTimeout"/> and closes the SDK that ErrorReporting initialised, or whose delivery
/// engine belongs to this container.
/// </summary>
internal sealed class SentryConnection : IDisposable
{
    private readonly IServiceProvider _services;
    private readonly IOptions<ErrorReportingOptions> _options;
    private readonly ReportedExceptions _reported;
    private readonly EngineRegistry _engines;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lazy<IErrorReporter> _reporter;
    private IDisposable? _initialization;

    public SentryConnection(IServiceProvider services, IOptions<ErrorReportingOptions> options, ReportedExceptions reported, EngineRegistry engines, ILoggerFactory? loggerFactory = null)
    {
        _services = services;
        _options = options;
        _reported = reported;
        _engines = engines;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger(Log.Category);
        _reporter = new Lazy<IErrorReporter>(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Gets the reporter, connecting first. Throws <see cref="OptionsValidationException"/> for invalid options.</summary>
    public IErrorReporter Reporter => _reporter.Value;

    public void Dispose()
    {
        if (_initialization is { } initialization)
        {
            // SentrySdk.Init's handle: flushes for ShutdownTimeout, closes the SDK (unless another Init replaced it).
            _initialization = null;
            initialization.Dispose();
        }
        else if (_engines.ServingEngine is { } engine)
        {
            // UseSentry/AddSentry initialised the SDK with this container's engine, which is about to stop.
            engine.CloseHub();
        }
    }

    private IErrorReporter Connect()
    {
        // The engines' loggers, deferred until now, get the application's logging. A container without logging gets none
        // later: their messages are dropped, not kept for a factory that never comes, and the disabled loggers format
        // nothing (formatting a first message costs a cold process milliseconds of JIT).
        _engines.Loggers.Attach(_loggerFactory);

        var options = _options.Value;
        if (_services.GetService<Func<IHub>>() is { } sentryExtensionsHub && sentryExtensionsHub().IsEnabled)
        {
            Log.UsingExistingSdk(_logger, "UseSentry() or AddSentry()");
            return Enabled();
        }

        if (SentrySdk.IsEnabled)
        {
            Log.UsingExistingSdk(_logger, "SentrySdk.Init");
            if (_engines.ServingEngine is null)
            {
                Log.WithoutEngine(_logger);
            }

            return Enabled();
        }

        if (DsnSettings.Resolve(options) is null)
        {
            Log.Disabled(_logger);
            return DisabledErrorReporter.Instance;
        }

        _initialization = SentrySdk.Init(options);
        Log.SdkInitialized(_logger, options.Environment, options.Release);
        return Enabled();
    }

    private ErrorReporter Enabled() => new(HubAdapter.Instance, _reported, new SdkFlush(HubAdapter.Instance, _engines), _logger);
}
