namespace ErrorReporting.Diagnostics;

/// <summary>
/// Why an accepted or attempted report did not reach Sentry: the <c>reason</c> of a client report entry and the
/// <c>reason</c> tag of the <c>errorreporting.events.dropped</c> counter.
/// </summary>
internal enum DiscardReason
{
    /// <summary>Sampled out by <see cref="ErrorReportingOptions.SampleRate"/>.</summary>
    SampleRate,

    /// <summary>The queue was full.</summary>
    QueueOverflow,

    /// <summary>The queue was full while Sentry's rate limit held events back.</summary>
    RateLimitBackoff,

    /// <summary><see cref="ErrorReportingOptions.BeforeSend"/> returned <see langword="null"/>.</summary>
    BeforeSend,

    /// <summary>The server rejected the envelope (4xx other than 429).</summary>
    SendError,

    /// <summary>The offline cache was full: the oldest envelope was evicted.</summary>
    CacheOverflow,

    /// <summary>The event could not be built or serialized (a bug in this library; logged).</summary>
    InternalSdkError,
}

internal static class DiscardReasons
{
    public const int Count = (int)DiscardReason.InternalSdkError + 1;

    public static string ToWireName(this DiscardReason reason) => reason switch
    {
        DiscardReason.SampleRate => "sample_rate",
        DiscardReason.QueueOverflow => "queue_overflow",
        DiscardReason.RateLimitBackoff => "ratelimit_backoff",
        DiscardReason.BeforeSend => "before_send",
        DiscardReason.SendError => "send_error",
        DiscardReason.CacheOverflow => "cache_overflow",
        _ => "internal_sdk_error",
    };
}
