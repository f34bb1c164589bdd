using ErrorReporting.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ErrorReporting;

/// <summary>
/// Registers a health check that says whether errors reach Sentry, from what ErrorReporting's delivery engine saw (it
/// never sends a request of its own): <c>services.AddHealthChecks().AddErrorReporting()</c>.
/// </summary>
/// <remarks>
/// <para>
/// The check reports <see cref="HealthStatus.Healthy"/> while nothing was sent yet, while the last envelope was
/// delivered, and when reporting is disabled (no DSN); <see cref="HealthStatus.Degraded"/> while the server is
/// unreachable or answers 5xx for less than <see cref="ErrorReportingHealthCheckOptions.UnhealthyAfter"/>, while it
/// refused the last envelope (400, 413, …), while a rate limit is in force, and while the delivery queue or the offline
/// cache is over 80 % full; the registration's failure status (<see cref="HealthStatus.Unhealthy"/> by default) when
/// the server rejected the last envelope with 401 or 403 (a wrong or revoked key, a disabled project), after
/// <see cref="ErrorReportingHealthCheckOptions.UnhealthyAfter"/> of unreachability or of 5xx answers, when error events
/// were dropped because the queue or the cache was full in the last minute, and when the delivery engine failed to
/// start or its background work stopped after an error. The description is one line saying what to do; it never
/// contains the DSN's key. The data holds the engine's counts and times (see the README).
/// </para>
/// <para>
/// When the SDK sends through its own worker (it was initialised by <c>SentrySdk.Init</c> before ErrorReporting), the
/// check says so and reports <see cref="HealthStatus.Healthy"/>: it cannot observe that delivery.
/// </para>
/// <para>
/// Registering creates nothing: the check and what it reads are resolved when it first runs. It needs
/// <c>AddErrorReporting()</c> (or <c>UseErrorReporting()</c>) in the same container, and reports its failure status
/// without it. Running it takes no lock that a send holds, and allocates only its result.
/// </para>
/// </remarks>
public static class ErrorReportingHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check.</summary>
    private const string DefaultName = "errorreporting";

    /// <summary>
    /// Adds a health check that reports whether errors reach Sentry, with <see cref="ErrorReportingHealthCheckOptions"/>
    /// named <paramref name="name"/>.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The name of the check, and of its <see cref="ErrorReportingHealthCheckOptions"/>.</param>
    /// <param name="failureStatus">
    /// The status reported when errors do not reach Sentry; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.
    /// </param>
    /// <param name="tags">Tags to select the check by (for example <c>"ready"</c>), or <see langword="null"/>.</param>
    /// <returns>The <see cref="IHealthChecksBuilder"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    public static IHealthChecksBuilder AddErrorReporting(
        this IHealthChecksBuilder builder,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        builder.Services.AddOptions();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ErrorReportingHealthCheckOptions>, ErrorReportingHealthCheckOptionsValidator>());
        builder.Services.TryAddSingleton<ErrorReportingHealthChecks>();
        return builder.Add(new HealthCheckRegistration(name, services => services.GetRequiredService<ErrorReportingHealthChecks>().Get(name), failureStatus, tags));
    }

    /// <summary>
    /// Adds a health check that reports whether errors reach Sentry, with <see cref="ErrorReportingHealthCheckOptions"/>
    /// named <paramref name="name"/> and configured by <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="configure">Sets the options of this registration, such as <see cref="ErrorReportingHealthCheckOptions.UnhealthyAfter"/>.</param>
    /// <param name="name">The name of the check, and of its <see cref="ErrorReportingHealthCheckOptions"/>.</param>
    /// <param name="failureStatus">
    /// The status reported when errors do not reach Sentry; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.
    /// </param>
    /// <param name="tags">Tags to select the check by (for example <c>"ready"</c>), or <see langword="null"/>.</param>
    /// <returns>The <see cref="IHealthChecksBuilder"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/>, <paramref name="configure"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    public static IHealthChecksBuilder AddErrorReporting(
        this IHealthChecksBuilder builder,
        Action<ErrorReportingHealthCheckOptions> configure,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(name);
        builder.Services.Configure(name, configure);
        return builder.AddErrorReporting(name, failureStatus, tags);
    }
}
