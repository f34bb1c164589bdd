using Microsoft.AspNetCore.Diagnostics;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Reports the exceptions that the developer exception page shows (mechanism
/// <see cref="AspNetCoreMechanisms.DeveloperExceptionPage"/>), then lets the page render.
/// </summary>
internal sealed class ErrorReportingDeveloperPageExceptionFilter : IDeveloperPageExceptionFilter
{
    private readonly RequestExceptionReporter _reporter;

    public ErrorReportingDeveloperPageExceptionFilter(RequestExceptionReporter reporter) => _reporter = reporter;

    public Task HandleExceptionAsync(ErrorContext errorContext, Func<ErrorContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(errorContext);
        ArgumentNullException.ThrowIfNull(next);
        _reporter.Report(errorContext.HttpContext, errorContext.Exception, AspNetCoreMechanisms.DeveloperExceptionPage, handlerFeature: null);
        return next(errorContext);
    }
}
