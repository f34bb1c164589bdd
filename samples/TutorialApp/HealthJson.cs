using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TutorialApp;

/// <summary>
/// The <c>/healthz</c> answer as JSON: the overall status and, per check, its status, description and data (the default
/// writer answers only the status text). The status code stays the health checks' own: 200 for Healthy and Degraded,
/// 503 for Unhealthy.
/// </summary>
internal static class HealthJson
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
        => context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description, data = entry.Value.Data }),
        });
}
