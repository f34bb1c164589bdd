using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting;

/// <summary>
/// Error reporting within an ASP.NET Core request: per-request tags, the request's data for the application's own
/// reports, and the id of the exception reported for the request.
/// </summary>
public static class ErrorReportingHttpContextExtensions
{
    /// <summary>
    /// Sets a tag on the request's <see cref="ErrorReportingScope"/>: every report made afterwards within the request
    /// carries it, including the report of an exception that escapes the request; other requests do not.
    /// A <see langword="null"/> value removes the tag.
    /// </summary>
    /// <param name="httpContext">The request.</param>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The tag value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="httpContext"/> or <paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The request has no scope: <c>AddErrorReportingAspNetCore</c> was not called.</exception>
    public static void SetErrorReportingTag(this HttpContext httpContext, string key, string? value)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(key);
        var scope = httpContext.Features.Get<ErrorReportingFeature>()?.Scope
            ?? throw new InvalidOperationException("This request has no error-reporting scope: call services.AddErrorReportingAspNetCore(...) when building the application.");
        scope.SetTag(key, value);
    }

    /// <summary>
    /// Gets the id of the event reported for an exception that escaped this request (what the ProblemDetails
    /// <c>eventId</c> and the <c>X-Sentry-Event-Id</c> header carry), for example to show it on a custom error page.
    /// </summary>
    /// <param name="httpContext">The request.</param>
    /// <returns>The event id, or <see cref="SentryEventId.Empty"/> when no exception of this request was reported.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="httpContext"/> is <see langword="null"/>.</exception>
    public static SentryEventId GetErrorReportingEventId(this HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return httpContext.Features.Get<ErrorReportingFeature>()?.EventId ?? SentryEventId.Empty;
    }

    /// <summary>
    /// Creates a <see cref="ReportContext"/> that carries the request as the integration sends it (method, URL, filtered
    /// query string and headers, route template as transaction, and user only with
    /// <see cref="ErrorReportingOptions.SendDefaultPii"/>), for the application's own reports:
    /// <c>reporter.ReportHandled(exception, context: HttpContext.CreateReportContext())</c>.
    /// </summary>
    /// <param name="httpContext">The request.</param>
    /// <returns>A new context; add tags or extra data to it before passing it to a report call.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="httpContext"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddErrorReportingAspNetCore</c> was not called, or <paramref name="httpContext"/> has no <see cref="HttpContext.RequestServices"/>.</exception>
    public static ReportContext CreateReportContext(this HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var factory = httpContext.RequestServices?.GetService<ReportContextFactory>()
            ?? throw new InvalidOperationException("Call services.AddErrorReportingAspNetCore(...) before creating report contexts from requests.");
        return factory.Create(httpContext, handlerFeature: null);
    }
}
