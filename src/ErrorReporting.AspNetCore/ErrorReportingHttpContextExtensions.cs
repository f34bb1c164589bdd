using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting;

/// <summary>
/// The id of the event reported for an exception that escaped an ASP.NET Core request.
/// </summary>
public static class ErrorReportingHttpContextExtensions
{
    /// <summary>
    /// Gets the id of the event reported for an exception that escaped this request (what the ProblemDetails
    /// <c>eventId</c> and the <c>X-Sentry-Event-Id</c> header carry), for example to show it on a custom error page.
    /// </summary>
    /// <param name="httpContext">The request.</param>
    /// <returns>The event id, or <see cref="SentryId.Empty"/> when no exception of this request was reported.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="httpContext"/> is <see langword="null"/>.</exception>
    public static SentryId GetErrorReportingEventId(this HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return httpContext.Features.Get<ErrorReportingFeature>()?.EventId ?? SentryId.Empty;
    }
}
