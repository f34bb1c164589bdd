using ErrorReporting.Delivery.Accounting;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery.Queue;

/// <summary>
/// The two lanes of the delivery queue, each with room for <see cref="SentryOptions.MaxQueueItems"/> envelopes, so
/// that a flood of one kind never refuses the other. Error events, and what tells about them (sessions, client reports,
/// check-ins, user feedback, attachments sent with an event), go in <see cref="Errors"/>; transactions, spans, logs,
/// profiles, replays and metrics, which a flood may shed, go in <see cref="Bulk"/> (sentry-dotnet#2410).
/// </summary>
internal enum QueueLane
{
    Errors,
    Bulk,
}

internal static class QueueLanes
{
    public const int Count = 2;

    /// <summary>Gets the lane of an envelope: <see cref="QueueLane.Bulk"/> only when every item is of a bulk kind. Allocates nothing.</summary>
    public static QueueLane Of(Envelope envelope)
    {
        var items = envelope.Items;
        if (items.Count == 0)
        {
            return QueueLane.Errors;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (!IsBulk(DataCategories.FromItemType(items[i].TryGetType())))
            {
                return QueueLane.Errors;
            }
        }

        return QueueLane.Bulk;
    }

    /// <summary>Gets the lane of an envelope with items of these data categories: <see cref="QueueLane.Bulk"/> only when every item is of a bulk kind.</summary>
    public static QueueLane Of(ReadOnlySpan<string> categories)
    {
        if (categories.IsEmpty)
        {
            return QueueLane.Errors;
        }

        foreach (var category in categories)
        {
            if (!IsBulk(category))
            {
                return QueueLane.Errors;
            }
        }

        return QueueLane.Bulk;
    }

    private static bool IsBulk(string category) => category switch
    {
        "transaction" or "span" or "log_item" or "otel_log" or "profile" or "profile_chunk" or "replay" or "metric_bucket"
            or "metric_meta" or "trace_metric" => true,
        _ => false,
    };
}
