using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// The <see cref="IExceptionHandler"/> that <c>app.UseExceptionHandler()</c> calls for an exception that escaped the
/// endpoint or a middleware: reports it (mechanism <see cref="AspNetCoreMechanisms.ExceptionHandler"/>) and returns
/// <see langword="false"/>, so the next handlers and the application's error response (ProblemDetails, error page) proceed.
/// </summary>
internal sealed class ErrorReportingExceptionHandler : IExceptionHandler
{
    private readonly RequestExceptionReporter _reporter;

    public ErrorReportingExceptionHandler(RequestExceptionReporter reporter) => _reporter = reporter;

    public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        _reporter.Report(httpContext, exception, AspNetCoreMechanisms.ExceptionHandler, httpContext?.Features.Get<IExceptionHandlerFeature>());
        return ValueTask.FromResult(false);
    }
}
