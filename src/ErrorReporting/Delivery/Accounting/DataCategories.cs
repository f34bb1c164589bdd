namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// Sentry's data categories, the unit of rate limits and client reports, derived from envelope item types as Relay
/// does (PROTOCOL.md §3.2): an <c>event</c> item is in category <c>error</c>, a <c>check_in</c> in <c>monitor</c>, a
/// <c>client_report</c> in <c>internal</c> (never limited by a category, only by an all-categories limit).
/// </summary>
internal static class DataCategories
{
    public const string Error = "error";
    public const string Internal = "internal";
    public const string Default = "default";

    /// <summary>Gets the data category of an envelope item type (the type itself when Sentry names it so).</summary>
    public static string FromItemType(string? itemType) => itemType switch
    {
        null or "" => Default,
        "event" => Error,
        "client_report" => Internal,
        "check_in" => "monitor",
        "log" => "log_item",
        "statsd" => "metric_bucket",
        "user_report" => Default,
        "sessions" => "session",
        "replay_event" or "replay_recording" or "replay_video" => "replay",
        _ => itemType,
    };
}
