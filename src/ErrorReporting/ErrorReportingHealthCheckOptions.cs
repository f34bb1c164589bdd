namespace ErrorReporting;

/// <summary>
/// Options of the health check that <see cref="ErrorReportingHealthChecksBuilderExtensions.AddErrorReporting(Microsoft.Extensions.DependencyInjection.IHealthChecksBuilder, string, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus?, IEnumerable{string}?)"/>
/// registers. They are named options: each registration reads the options named after it (its <c>name</c>, by default
/// <c>"errorreporting"</c>).
/// </summary>
/// <remarks>
/// Set them per registration with the overload that takes a <c>configure</c> action, or with
/// <c>services.Configure&lt;ErrorReportingHealthCheckOptions&gt;("errorreporting", o => …)</c>; for every registration at
/// once, with <c>services.ConfigureAll&lt;ErrorReportingHealthCheckOptions&gt;(o => …)</c>. They are validated when the
/// check first runs: an invalid value makes the check report its failure status with the reason.
/// </remarks>
public class ErrorReportingHealthCheckOptions
{
    /// <summary>The default of <see cref="UnhealthyAfter"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultUnhealthyAfter = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long the Sentry server may be unreachable (no response at all: connection refused or reset, DNS
    /// failure, timeout), or answer 5xx, before the check reports its failure status instead of <c>Degraded</c>. The
    /// delivery engine keeps what it could not send (a 5xx discards the envelope that met it) and probes the server
    /// meanwhile (about 1 s, 2 s, 4 s … up to 60 s apart).
    /// </summary>
    /// <value>The default value is 5 minutes; it must be more than zero.</value>
    public TimeSpan UnhealthyAfter { get; set; } = DefaultUnhealthyAfter;
}
