using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Reports an exception that escaped a request as <c>handled: no</c>, with the request's data, and records the event id
/// for the response (<see cref="ErrorReportingFeature"/>, response header). Never throws: a failure is logged and the
/// request's error response proceeds without an id.
/// </summary>
internal sealed class RequestExceptionReporter
{
    private readonly IErrorReporter _reporter;
    private readonly ReportContextFactory _contexts;
    private readonly string? _headerName;
    private readonly ILogger _logger;

    public RequestExceptionReporter(IErrorReporter reporter, ReportContextFactory contexts, IOptions<ErrorReportingAspNetCoreOptions> options, ILoggerFactory loggerFactory)
    {
        _reporter = reporter;
        _contexts = contexts;
        _headerName = string.IsNullOrWhiteSpace(options.Value.EventIdResponseHeader) ? null : options.Value.EventIdResponseHeader.Trim();
        _logger = loggerFactory.CreateLogger(Log.Category);
    }

    /// <summary>
    /// Reports <paramref name="exception"/> for <paramref name="httpContext"/>. An exception the application (or an
    /// earlier hook) already reported gets its first id back from the reporter and is not sent again.
    /// </summary>
    /// <returns>The event id, or <see cref="SentryEventId.Empty"/> when nothing was reported.</returns>
    public SentryEventId Report(HttpContext httpContext, Exception exception, string mechanism, IExceptionHandlerFeature? handlerFeature, bool setResponseHeader)
    {
        try
        {
            if (!_reporter.IsEnabled || IsAbortedRequest(httpContext, exception))
            {
                return SentryEventId.Empty;
            }

            var context = _contexts.Create(httpContext, handlerFeature);
            var eventId = _reporter.ReportUnhandled(exception, mechanism, SentryLevel.Error, context);
            if (eventId.IsEmpty)
            {
                return eventId;
            }

            var feature = httpContext.Features.Get<ErrorReportingFeature>();
            if (feature is null)
            {
                feature = new ErrorReportingFeature(scope: null);
                httpContext.Features.Set(feature);
            }

            feature.EventId = eventId;
            if (setResponseHeader && _headerName is not null && !httpContext.Response.HasStarted)
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

            return SentryEventId.Empty;
        }
    }

    /// <summary>The client went away: not an error of the application (ASP.NET Core's middleware answers 499 and logs at debug).</summary>
    private static bool IsAbortedRequest(HttpContext httpContext, Exception exception)
        => exception is OperationCanceledException or IOException && httpContext.RequestAborted.IsCancellationRequested;
}
