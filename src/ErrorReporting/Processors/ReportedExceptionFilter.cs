using Sentry.Extensibility;

using ErrorReporting.Reporting;

namespace ErrorReporting.Processors;

/// <summary>
/// Drops an event whose exception ErrorReporting already reported under another id, whoever captures it (the SDK's
/// unhandled-exception integrations, <c>Sentry.AspNetCore</c>'s middleware, a logger): one exception, one event,
/// whatever the SDK's <see cref="SentryOptions.DeduplicateMode"/>. The SDK counts the drop in its client report
/// (<c>event_processor</c>).
/// </summary>
internal sealed class ReportedExceptionFilter(ReportedExceptions reported) : ISentryEventProcessor
{
    public SentryEvent? Process(SentryEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return @event.Exception is { } exception && reported.TryGetEventId(exception, out var first) && first != @event.EventId ? null : @event;
    }
}
