namespace ErrorReporting.AspNetCore.Internal;

/// <summary>Per-request state in <c>HttpContext.Features</c>: the id of the exception reported for the request.</summary>
internal sealed class ErrorReportingFeature
{
    /// <summary>Gets or sets the id of the exception that escaped the request and was reported, or <see cref="SentryId.Empty"/>.</summary>
    public SentryId EventId { get; set; }
}
