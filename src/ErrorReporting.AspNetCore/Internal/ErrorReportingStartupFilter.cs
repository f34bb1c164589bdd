using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Puts <see cref="RequestScopeMiddleware"/> first in the application's pipeline, outside everything the application
/// adds (including <c>UseExceptionHandler</c>), so the request's scope is current in the exception handlers too.
/// </summary>
internal sealed class ErrorReportingStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return app =>
        {
            var reporter = app.ApplicationServices.GetRequiredService<RequestExceptionReporter>();
            app.Use(nextMiddleware => new RequestScopeMiddleware(nextMiddleware, reporter).InvokeAsync);
            next(app);
        };
    }
}
