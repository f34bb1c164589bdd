using ErrorReporting.Diagnostics;
using ErrorReporting.Hosting;
using ErrorReporting.Reporting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ErrorReporting.HealthChecks;

/// <summary>
/// The health check of one registration: finds out whether ErrorReporting is registered, enabled, and serving the
/// SDK's hub with its delivery engine, then lets <see cref="DeliveryHealth"/> judge what the engine saw. It never sends
/// anything itself.
/// </summary>
/// <remarks>
/// What it reads, once resolved, takes no lock that the engine's sender holds while a send is under way: the reporter
/// (a <see cref="Lazy{T}"/> value), <see cref="EngineRegistry.ServingEngine"/> (the registry's own lock, taken only
/// when engines are created or disposed), the named options (a concurrent cache), and the engine's published state
/// (see <see cref="DeliveryHealth"/>). The check completes synchronously.
/// </remarks>
internal sealed class ErrorReportingHealthCheck : IHealthCheck
{
    internal const string NotRegistered = "ErrorReporting is not registered in this container: call services.AddErrorReporting() (or builder.WebHost.UseErrorReporting()).";
    internal const string Disabled = "Error reporting is disabled: no DSN is configured (Sentry:Dsn or SENTRY_DSN), so nothing is sent.";
    internal const string OwnWorker = "ErrorReporting's delivery engine does not serve the Sentry SDK here (SentrySdk.Init ran first, or another background worker was set): whether errors reach Sentry cannot be observed; the SDK's own worker only logs its failures.";
    internal const string SdkClosed = "The Sentry SDK is closed: reports go nowhere until it is initialised again.";

    private readonly string _name;
    private readonly SentryConnection? _connection;
    private readonly EngineRegistry? _engines;
    private readonly IOptionsMonitor<ErrorReportingHealthCheckOptions> _options;
    private readonly DeliveryHealth _delivery = new();

    /// <summary>Created when the check first runs (<see cref="ErrorReportingHealthChecks"/>), not at registration.</summary>
    public ErrorReportingHealthCheck(string name, IServiceProvider services)
    {
        _name = name;
        _connection = services.GetService<SentryConnection>();
        _engines = services.GetService<EngineRegistry>();
        _options = services.GetRequiredService<IOptionsMonitor<ErrorReportingHealthCheckOptions>>();
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(Check(context.Registration is { } registration ? registration.FailureStatus : HealthStatus.Unhealthy));
    }

    /// <summary>Judges the state of error reporting now; <paramref name="failureStatus"/> stands for Unhealthy.</summary>
    internal HealthCheckResult Check(HealthStatus failureStatus)
    {
        if (_connection is not { } connection || _engines is not { } engines)
        {
            return new HealthCheckResult(failureStatus, NotRegistered);
        }

        IErrorReporter reporter;
        ErrorReportingHealthCheckOptions options;
        try
        {
            // Connects to the SDK if nothing did yet (a host did at start; without one, as IErrorReporter's first resolve would).
            reporter = connection.Reporter;
            options = _options.Get(_name);
        }
        catch (OptionsValidationException exception)
        {
            return new HealthCheckResult(failureStatus, "ErrorReporting cannot run, its options are invalid: " + SecretRedactor.Redact(exception.Message));
        }

        if (reporter is DisabledErrorReporter)
        {
            // Disabled by configuration (no DSN). A reporter whose hub was closed since is not: that is SdkClosed below.
            return new HealthCheckResult(HealthStatus.Healthy, Disabled);
        }

        if (engines.ServingEngine is not { } engine)
        {
            return SentrySdk.IsEnabled
                ? new HealthCheckResult(HealthStatus.Healthy, OwnWorker)
                : new HealthCheckResult(HealthStatus.Degraded, SdkClosed);
        }

        return _delivery.Assess(engine, options.UnhealthyAfter, failureStatus);
    }
}
