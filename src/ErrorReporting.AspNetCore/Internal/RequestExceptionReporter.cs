using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Reports an exception that escaped a request as <c>handled: no</c> and records the event id for the response
/// (<see cref="ErrorReportingFeature"/>, response header). The request's data comes from <c>Sentry.AspNetCore</c>'s
/// request scope; what this adds is the route template as the transaction, which the exception-handler middleware
/// clears from the request before it calls the handlers. Never throws: a failure is logged and the request's error
/// response proceeds without an id.
/// </summary>
internal sealed class RequestExceptionReporter
{
    private readonly IErrorReporter _reporter;
    private readonly string? _headerName;
    private readonly ILogger _logger;

    public RequestExceptionReporter(IErrorReporter reporter, IOptions<ErrorReportingAspNetCoreOptions> options, ILoggerFactory loggerFactory)
    {
        _reporter = reporter;
        _headerName = string.IsNullOrWhiteSpace(options.Value.EventIdResponseHeader) ? null : options.Value.EventIdResponseHeader.Trim();
        _logger = loggerFactory.CreateLogger(Log.Category);
    }

    /// <summary>
    /// Reports <paramref name="exception"/> for <paramref name="httpContext"/>. An exception the application (or an
    /// earlier hook) already reported gets its first id back from the reporter and is not sent again.
    /// </summary>
    /// <returns>The event id, or <see cref="SentryId.Empty"/> when nothing was reported.</returns>
    public SentryId Report(HttpContext httpContext, Exception exception, string mechanism, IExceptionHandlerFeature? handlerFeature)
    {
        try
        {
            if (!_reporter.IsEnabled || IsAbortedRequest(httpContext, exception))
            {
                return SentryId.Empty;
            }

            var transaction = TransactionOf(httpContext.Request.Method, handlerFeature?.Endpoint ?? httpContext.GetEndpoint());
            var eventId = transaction is null
                ? _reporter.ReportUnhandled(exception, mechanism)
                : _reporter.ReportUnhandled(exception, mechanism, scope => scope.TransactionName = transaction);
            if (eventId == SentryId.Empty)
            {
                return eventId;
            }

            var feature = httpContext.Features.Get<ErrorReportingFeature>();
            if (feature is null)
            {
                feature = new ErrorReportingFeature();
                httpContext.Features.Set(feature);
            }

            feature.EventId = eventId;
            if (_headerName is not null && !httpContext.Response.HasStarted)
            {
                httpContext.Response.Headers[_headerName] = eventId.ToString();
            }

            return eventId;
        }
        catch (Exception failure)
        {
            try
            {
                Log.ReportFailed(_logger, failure, httpContext?.Request.Method, httpContext?.Request.Path.Value);
            }
            catch (Exception)
            {
                // A failing logger must not break the request either.
            }

            return SentryId.Empty;
        }
    }

    /// <summary>Returns <c>{METHOD} /{route template}</c> for a routed endpoint (<c>GET /orders/{id}</c>), else <see langword="null"/>.</summary>
    internal static string? TransactionOf(string method, Endpoint? endpoint)
    {
        if (endpoint is not RouteEndpoint { RoutePattern.RawText: { } template })
        {
            return null;
        }

        return template.StartsWith('/') ? $"{method} {template}" : $"{method} /{template}";
    }

    /// <summary>The client went away: not an error of the application (ASP.NET Core's middleware answers 499 and logs at debug).</summary>
    private static bool IsAbortedRequest(HttpContext httpContext, Exception exception)
        => exception is OperationCanceledException or IOException && httpContext.RequestAborted.IsCancellationRequested;
}
