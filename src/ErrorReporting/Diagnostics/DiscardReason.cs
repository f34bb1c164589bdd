namespace ErrorReporting.Diagnostics;

/// <summary>
/// Why the delivery engine did not deliver an envelope it was offered: the <c>reason</c> of a client report entry and
/// the <c>reason</c> tag of the <c>errorreporting.envelopes.dropped</c> counter. (What the SDK drops before an envelope
/// exists, such as <c>sample_rate</c> or <c>before_send</c>, the SDK counts in its own client reports.)
/// </summary>
internal enum DiscardReason
{
    /// <summary>The delivery queue was full.</summary>
    QueueOverflow,

    /// <summary>The delivery queue was full while Sentry's rate limit held envelopes back.</summary>
    RateLimitBackoff,

    /// <summary>The server rejected the envelope definitively (400, 401, 403, 413, …).</summary>
    SendError,

    /// <summary>The offline cache was full: the oldest envelope was evicted.</summary>
    CacheOverflow,

    /// <summary>The envelope could not be serialized, or the engine had stopped (a bug or a misuse; logged).</summary>
    InternalSdkError,
}

internal static class DiscardReasons
{
    public const int Count = (int)DiscardReason.InternalSdkError + 1;

    public static string ToWireName(this DiscardReason reason) => reason switch
    {
        DiscardReason.QueueOverflow => "queue_overflow",
        DiscardReason.RateLimitBackoff => "ratelimit_backoff",
        DiscardReason.SendError => "send_error",
        DiscardReason.CacheOverflow => "cache_overflow",
        _ => "internal_sdk_error",
    };
}
