namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Per-request state in <c>HttpContext.Features</c>: the request's <see cref="ErrorReportingScope"/> (begun by
/// <see cref="RequestScopeMiddleware"/>) and the id of the exception reported for the request.
/// </summary>
internal sealed class ErrorReportingFeature
{
    public ErrorReportingFeature(ErrorReportingScope? scope) => Scope = scope;

    /// <summary>Gets the request's scope, or <see langword="null"/> when the middleware did not run for the request.</summary>
    public ErrorReportingScope? Scope { get; }

    /// <summary>Gets or sets the id of the exception that escaped the request and was reported, or <see cref="SentryEventId.Empty"/>.</summary>
    public SentryEventId EventId { get; set; }
}
