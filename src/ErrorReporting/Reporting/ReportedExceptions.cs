using System.Runtime.CompilerServices;

namespace ErrorReporting.Reporting;

/// <summary>
/// Remembers which exception objects were reported, and under which event id, so that the same object is never
/// reported twice: reported with <c>ReportHandled</c>, rethrown, then caught by a global handler, it keeps its first id
/// (and stays <c>handled: yes</c>). The table holds the exceptions weakly: it never keeps one alive.
/// </summary>
internal sealed class ReportedExceptions
{
    private const int MaxAggregateDepth = 8;
    private const int MaxAggregateInner = 100;

    private readonly ConditionalWeakTable<Exception, StrongBox<SentryId>> _ids = new();

    /// <summary>
    /// Finds the id under which <paramref name="exception"/> was reported. For an <see cref="AggregateException"/>, an
    /// already reported inner exception counts as the aggregate being reported.
    /// </summary>
    public bool TryGetEventId(Exception exception, out SentryId eventId)
    {
        if (_ids.TryGetValue(exception, out var box))
        {
            eventId = box.Value;
            return true;
        }

        return TryGetInner(exception as AggregateException, depth: 0, out eventId);
    }

    /// <summary>Records the id of an accepted report (the first one wins).</summary>
    public void Add(Exception exception, SentryId eventId) => _ids.TryAdd(exception, new StrongBox<SentryId>(eventId));

    private bool TryGetInner(AggregateException? aggregate, int depth, out SentryId eventId)
    {
        eventId = SentryId.Empty;
        if (aggregate is null || depth > MaxAggregateDepth)
        {
            return false;
        }

        var inner = aggregate.InnerExceptions;
        for (var i = 0; i < inner.Count && i < MaxAggregateInner; i++)
        {
            if (_ids.TryGetValue(inner[i], out var box))
            {
                eventId = box.Value;
                return true;
            }

            if (TryGetInner(inner[i] as AggregateException, depth + 1, out eventId))
            {
                return true;
            }
        }

        return false;
    }
}
