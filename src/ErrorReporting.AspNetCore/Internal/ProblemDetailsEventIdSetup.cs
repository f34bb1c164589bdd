using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Adds the event id of the request's reported exception to ProblemDetails responses (<c>extensions["eventId"]</c>),
/// before the application's own <see cref="ProblemDetailsOptions.CustomizeProblemDetails"/>, which keeps the last word.
/// </summary>
internal sealed class ProblemDetailsEventIdSetup : IPostConfigureOptions<ProblemDetailsOptions>
{
    private readonly bool _enabled;

    public ProblemDetailsEventIdSetup(IOptions<ErrorReportingAspNetCoreOptions> options) => _enabled = options.Value.IncludeEventIdInProblemDetails;

    public void PostConfigure(string? name, ProblemDetailsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!_enabled)
        {
            return;
        }

        var customize = options.CustomizeProblemDetails;
        options.CustomizeProblemDetails = context =>
        {
            AddEventId(context);
            customize?.Invoke(context);
        };
    }

    internal static void AddEventId(ProblemDetailsContext context)
    {
        if (context.HttpContext.Features.Get<ErrorReportingFeature>() is { } feature && feature.EventId != SentryId.Empty
            && context.ProblemDetails.Extensions is { } extensions)
        {
            extensions[ErrorReportingAspNetCoreOptions.ProblemDetailsEventIdKey] = feature.EventId.ToString();
        }
    }
}
