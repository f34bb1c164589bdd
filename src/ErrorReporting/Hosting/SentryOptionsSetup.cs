using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Processors;
using ErrorReporting.Reporting;
using ErrorReporting.StackTraces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Hosting;

/// <summary>
/// Puts ErrorReporting into any <see cref="SentryOptions"/> the application's container creates: its own
/// <see cref="ErrorReportingOptions"/>, and the options of <c>UseSentry()</c> (<c>SentryAspNetCoreOptions</c>) or
/// <c>AddSentry()</c> (<c>SentryLoggingOptions</c>), before their SDK initialisation reads them. Registered as an open
/// generic post-configure step, so it needs no reference to those packages; the container skips it for options types
/// that are not <see cref="SentryOptions"/>.
/// </summary>
internal sealed class SentryOptionsSetup<TOptions> : IPostConfigureOptions<TOptions>
    where TOptions : SentryOptions
{
    private readonly EngineRegistry _engines;
    private readonly ReportedExceptions _reported;

    public SentryOptionsSetup(EngineRegistry engines, ReportedExceptions reported)
    {
        _engines = engines;
        _reported = reported;
    }

    public void PostConfigure(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name is not null && name != Options.DefaultName)
        {
            return;
        }

        SentryOptionsDefaults.Apply(options, _engines, _reported, _engines.Loggers);
    }
}

/// <summary>What ErrorReporting changes in the SDK's options, whoever initialises the SDK with them.</summary>
internal static class SentryOptionsDefaults
{
    /// <summary>The SDK's own default of <see cref="SentryOptions.MaxQueueItems"/> and <see cref="SentryOptions.MaxCacheItems"/>.</summary>
    internal const int SdkDefaultMaxItems = 30;

    public static void Apply(SentryOptions options, EngineRegistry engines, ReportedExceptions reported, ILoggerFactory loggerFactory)
    {
        // The SDK logs only with Debug on; then to the application's logging rather than the console, without DSN keys.
        if (options.DiagnosticLogger is null)
        {
            options.DiagnosticLogger = new SentryDiagnosticLogger(loggerFactory.CreateLogger(SentryDiagnosticLogger.Category), options.DiagnosticLevel);
        }

        // ErrorReporting's defaults for options it did not create (the SDK's 30 is taken as "not set").
        if (options is not ErrorReportingOptions)
        {
            if (options.MaxQueueItems == SdkDefaultMaxItems)
            {
                options.MaxQueueItems = ErrorReportingOptions.DefaultMaxItems;
            }

            if (options.MaxCacheItems == SdkDefaultMaxItems)
            {
                options.MaxCacheItems = ErrorReportingOptions.DefaultMaxItems;
            }
        }

        // One exception, one event: what ErrorReporting reported is not sent again by another capture path.
        options.AddEventProcessor(new ReportedExceptionFilter(reported));

        // Relay's size limits, so that an oversized message costs its tail, not the whole event.
        options.AddEventProcessor(new SentryLimits());

        // Exception frames from a cache per method and IL offset instead of demystifying and re-reading symbols per event,
        // with each module's debug image read once (DebugImagesProcessor puts them into the event).
        var stackTraces = new CachedStackTraceFactory(options);
        options.UseStackTraceFactory(stackTraces);
        options.AddEventProcessor(new DebugImagesProcessor());

        // The modules list computed once (and after each assembly load) instead of for every event, in the format the
        // application chose; the SDK's own per-event list is turned off.
        if (options.ReportAssembliesMode != ReportAssembliesMode.None)
        {
            options.AddEventProcessor(new ModulesProcessor(options.ReportAssembliesMode));
            options.ReportAssembliesMode = ReportAssembliesMode.None;
        }

        if (options.BackgroundWorker is null)
        {
            var engine = engines.Create(options);
            options.BackgroundWorker = engine;
            options.AddIntegration(new DeliveryIntegration(engine));
        }
    }
}
