namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// Why the delivery engine did not deliver an envelope it was offered: the <c>reason</c> tag of the
/// <c>errorreporting.envelopes.dropped</c> counter and, except for <see cref="RateLimited"/>, the <c>reason</c> of a
/// client report entry. (What the SDK drops before an envelope exists, such as <c>sample_rate</c> or
/// <c>before_send</c>, the SDK counts in its own client reports.)
/// </summary>
internal enum DiscardReason
{
    /// <summary>The delivery queue's lane was full when the SDK offered the envelope.</summary>
    QueueOverflow,

    /// <summary>A rate limit the server announced covered the envelope's data category when it was reported.</summary>
    RateLimitBackoff,

    /// <summary>The server answered 4xx (other than 429) or 5xx: the envelope is discarded, never sent again.</summary>
    SendError,

    /// <summary>The offline cache was full: its oldest envelope was evicted.</summary>
    CacheOverflow,

    /// <summary>The envelope could not be serialized, a cache file could not be read back, or the engine had stopped.</summary>
    InternalSdkError,

    /// <summary>
    /// The server answered 429: the envelope is discarded and not sent again. Counted by the meter only: the server
    /// already recorded it, so it is never in a client report.
    /// </summary>
    RateLimited,
}

/// <summary>The wire names of <see cref="DiscardReason"/>.</summary>
internal static class DiscardReasons
{
    public const int Count = (int)DiscardReason.RateLimited + 1;

    public static string ToWireName(this DiscardReason reason) => reason switch
    {
        DiscardReason.QueueOverflow => "queue_overflow",
        DiscardReason.RateLimitBackoff => "ratelimit_backoff",
        DiscardReason.SendError => "send_error",
        DiscardReason.CacheOverflow => "cache_overflow",
        DiscardReason.RateLimited => "rate_limited",
        _ => "internal_sdk_error",
    };

    /// <summary>Gets a value indicating whether the client reports this reason to Sentry (the server counted the rest).</summary>
    public static bool IsClientReported(this DiscardReason reason) => reason != DiscardReason.RateLimited;
}
