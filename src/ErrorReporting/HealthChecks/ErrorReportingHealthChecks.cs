using System.Collections.Concurrent;

namespace ErrorReporting.HealthChecks;

/// <summary>
/// The health checks of one container, one per registration name, created when each first runs and kept (the health
/// check service asks its registration's factory for the check on every run).
/// </summary>
internal sealed class ErrorReportingHealthChecks
{
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<string, ErrorReportingHealthCheck> _checks = new(StringComparer.Ordinal);

    public ErrorReportingHealthChecks(IServiceProvider services) => _services = services;

    public ErrorReportingHealthCheck Get(string name)
        => _checks.GetOrAdd(name, static (name, services) => new ErrorReportingHealthCheck(name, services), _services);
}
