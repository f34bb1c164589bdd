using Microsoft.AspNetCore.Http;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// The outermost middleware (added by <see cref="ErrorReportingStartupFilter"/>): begins an
/// <see cref="ErrorReportingScope"/> per request, so that tags set during the request apply to every report made in
/// it, and reports an exception that escapes the whole pipeline (mechanism
/// <see cref="AspNetCoreMechanisms.UnhandledRequest"/>) before rethrowing it to the server.
/// </summary>
internal sealed class RequestScopeMiddleware
{
    private readonly RequestDelegate _next;
    private readonly RequestExceptionReporter _reporter;

    public RequestScopeMiddleware(RequestDelegate next, RequestExceptionReporter reporter)
    {
        _next = next;
        _reporter = reporter;
    }

    public async Task InvokeAsync(HttpContext httpContext)
    {
        using var scope = ErrorReportingScope.Begin();
        httpContext.Features.Set(new ErrorReportingFeature(scope));
        try
        {
            await _next(httpContext).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Already reported by the exception handler (which rethrows when the response had started)? Then the
            // reporter returns that id and sends nothing new.
            _reporter.Report(httpContext, exception, AspNetCoreMechanisms.UnhandledRequest, handlerFeature: null, setResponseHeader: false);
            throw;
        }
    }
}
