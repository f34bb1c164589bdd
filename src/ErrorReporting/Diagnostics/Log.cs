using Microsoft.Extensions.Logging;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// ErrorReporting's own diagnostics (category <c>ErrorReporting</c>). DSNs and <c>X-Sentry-Auth</c> values are never
/// logged: only the server's scheme, host and port.
/// </summary>
internal static partial class Log
{
    public const string Category = "ErrorReporting";

    [LoggerMessage(1, LogLevel.Information, "Error reporting is disabled: no DSN is configured (set the Dsn option or the SENTRY_DSN environment variable; an empty Dsn disables reporting on purpose).")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(2, LogLevel.Information, "ErrorReporting initialised the Sentry SDK (environment '{Environment}', release '{Release}').")]
    public static partial void SdkInitialized(ILogger logger, string? environment, string? release);

    [LoggerMessage(3, LogLevel.Information, "ErrorReporting reports through the Sentry SDK initialised by {Initializer}.")]
    public static partial void UsingExistingSdk(ILogger logger, string initializer);

    [LoggerMessage(4, LogLevel.Warning, "ErrorReporting could not mark an exception of type {ExceptionType} as handled or unhandled (its Data cannot be written); it is reported from what can be read of it.")]
    public static partial void MarkFailed(ILogger logger, Exception exception, string? exceptionType);

    [LoggerMessage(5, LogLevel.Error, "The Sentry hub threw while capturing an event; nothing was reported.")]
    public static partial void CaptureFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Delivery engine started: sending to {Server}, queue of {MaxQueueItems}, offline cache {Cache}.")]
    public static partial void Started(ILogger logger, string server, int maxQueueItems, string cache);

    [LoggerMessage(7, LogLevel.Error, "The delivery engine could not start; envelopes are refused (counted as internal_sdk_error).")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "{Count} envelope(s) dropped since the last notice ({Reason}); see the errorreporting.envelopes.dropped counter.")]
    public static partial void Dropped(ILogger logger, long count, string reason);

    [LoggerMessage(9, LogLevel.Error, "The envelope {EventId} could not be serialized and was dropped (internal_sdk_error).")]
    public static partial void SerializeFailed(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(10, LogLevel.Warning, "Sending to Sentry failed ({Reason}); retry {Attempt} in {DelayMs} ms.")]
    public static partial void SendFailed(ILogger logger, string reason, int attempt, long delayMs);

    [LoggerMessage(11, LogLevel.Warning, "The Sentry server rejected the envelope {EventId} with HTTP {StatusCode}: {Detail}. It was dropped (send_error).")]
    public static partial void Rejected(ILogger logger, string eventId, int statusCode, string detail);

    [LoggerMessage(12, LogLevel.Information, "The Sentry server set a rate limit: envelopes of {Categories} wait until {Until:O}.")]
    public static partial void RateLimited(ILogger logger, string categories, DateTimeOffset until);

    [LoggerMessage(13, LogLevel.Debug, "Envelope {EventId} delivered.")]
    public static partial void Delivered(ILogger logger, string eventId);

    [LoggerMessage(14, LogLevel.Warning, "{Count} envelope(s) were not delivered when the delivery engine stopped ({Fate}).")]
    public static partial void NotDeliveredAtShutdown(ILogger logger, long count, string fate);

    [LoggerMessage(15, LogLevel.Error, "The delivery engine's background worker failed; envelopes are no longer sent.")]
    public static partial void WorkerFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "The offline cache {Directory} cannot be used (another process may hold it); this process keeps its envelopes in memory.")]
    public static partial void CacheUnavailable(ILogger logger, Exception exception, string directory);

    [LoggerMessage(17, LogLevel.Warning, "Writing, reading or deleting {Path} in the offline cache failed.")]
    public static partial void CacheWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(18, LogLevel.Warning, "The offline cache file {Path} is corrupt ({Problem}); it was removed.")]
    public static partial void CorruptCacheFile(ILogger logger, string path, string problem);

    [LoggerMessage(19, LogLevel.Information, "{Count} envelope(s) left in the offline cache {Directory} by an earlier process will be sent first.")]
    public static partial void CacheRestored(ILogger logger, int count, string directory);

    [LoggerMessage(21, LogLevel.Warning, "Forwarding to Spotlight failed; delivery to Sentry is not affected.")]
    public static partial void SpotlightUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Warning, "The Sentry SDK was initialised without ErrorReporting's delivery engine; the SDK's own background worker sends (see README, \"Already using Sentry?\").")]
    public static partial void WithoutEngine(ILogger logger);
}
