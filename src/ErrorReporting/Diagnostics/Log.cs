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

    [LoggerMessage(6, LogLevel.Information, "Delivery engine started: sending to {Server}, queues of {MaxQueueItems} (error events, bulk), offline cache {Cache}.")]
    public static partial void Started(ILogger logger, string server, int maxQueueItems, string cache);

    [LoggerMessage(7, LogLevel.Error, "The delivery engine could not start; envelopes are refused (counted as internal_sdk_error).")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "{Count} envelope(s) dropped since the last notice ({Reason}); see the errorreporting.envelopes.dropped counter.")]
    public static partial void Dropped(ILogger logger, long count, string reason);

    [LoggerMessage(9, LogLevel.Error, "The envelope {EventId} could not be serialized and was dropped (internal_sdk_error).")]
    public static partial void SerializeFailed(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(10, LogLevel.Warning, "Sentry cannot be reached ({Reason}); envelopes are kept and one probe is sent in {DelayMs} ms, then at growing intervals up to a minute.")]
    public static partial void Unreachable(ILogger logger, string reason, long delayMs);

    [LoggerMessage(22, LogLevel.Debug, "Probe {Attempt} failed ({Reason}); next probe in {DelayMs} ms.")]
    public static partial void ProbeFailed(ILogger logger, string reason, int attempt, long delayMs);

    [LoggerMessage(23, LogLevel.Information, "Sentry answers again (HTTP {StatusCode}); the {Count} envelope(s) that waited are sent one at a time, 100 ms apart.")]
    public static partial void ReachableAgain(ILogger logger, int statusCode, long count);

    [LoggerMessage(24, LogLevel.Warning, "The Sentry server failed (HTTP {StatusCode}); the envelope was discarded (send_error) and the next request waits {DelayMs} ms.")]
    public static partial void ServerFailing(ILogger logger, int statusCode, long delayMs);

    [LoggerMessage(11, LogLevel.Warning, "The Sentry server rejected the envelope {EventId} with HTTP {StatusCode}: {Detail}. It was discarded (send_error); further rejections with this status are not logged until a delivery succeeds.")]
    public static partial void Rejected(ILogger logger, string eventId, int statusCode, string detail);

    [LoggerMessage(25, LogLevel.Error, "The Sentry server refused the envelope {EventId} as too large (HTTP 413: {Detail}); it was discarded (send_error). Send less with each event: smaller or fewer attachments (MaxAttachmentSize), fewer breadcrumbs (MaxBreadcrumbs), less extra and context data, no request bodies (MaxRequestBodySize).")]
    public static partial void TooLarge(ILogger logger, string eventId, string detail);

    [LoggerMessage(12, LogLevel.Information, "The Sentry server set a rate limit ({Categories}) until {Until:O}: reports of those categories are refused until then, and nothing of them is sent.")]
    public static partial void RateLimited(ILogger logger, string categories, DateTimeOffset until);

    [LoggerMessage(13, LogLevel.Debug, "Envelope {EventId} delivered.")]
    public static partial void Delivered(ILogger logger, string eventId);

    [LoggerMessage(14, LogLevel.Warning, "{Count} envelope(s) were not delivered when the delivery engine stopped: {Kept} kept in the offline cache for the next start, {Lost} lost (still in memory).")]
    public static partial void NotDeliveredAtShutdown(ILogger logger, long count, long kept, long lost);

    [LoggerMessage(15, LogLevel.Error, "The delivery engine's background work failed; envelopes are no longer sent.")]
    public static partial void WorkerFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "The offline cache {Directory} cannot be used; this process keeps its envelopes in memory.")]
    public static partial void CacheUnavailable(ILogger logger, Exception exception, string directory);

    [LoggerMessage(26, LogLevel.Warning, "The offline cache {Directory} is held by another process; this process keeps its envelopes in memory.")]
    public static partial void CacheInUse(ILogger logger, Exception exception, string directory);

    [LoggerMessage(27, LogLevel.Warning, "The offline cache {Directory} cannot be written ({Reason}); this process keeps its envelopes in memory. The {Count} envelope(s) in it are left unsent: they could not be deleted once sent, and would be sent again at every start. Make the folder writable to have them sent.")]
    public static partial void CacheReadOnly(ILogger logger, string directory, string reason, int count);

    [LoggerMessage(17, LogLevel.Warning, "Writing to the offline cache {Directory} failed; envelopes stay in memory until it can be written again (counted by errorreporting.envelopes.not_cached).")]
    public static partial void CacheWriteFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(28, LogLevel.Information, "The offline cache {Directory} can be written again; {Count} envelope(s) were kept in memory meanwhile.")]
    public static partial void CacheWritableAgain(ILogger logger, string directory, long count);

    [LoggerMessage(29, LogLevel.Warning, "The sent envelope {Path} could not be deleted from the offline cache; a later process may send it again (Sentry drops the duplicate by its event id).")]
    public static partial void CacheDeleteFailed(ILogger logger, string path);

    [LoggerMessage(18, LogLevel.Debug, "The offline cache file {Path} was removed: {Problem}.")]
    public static partial void CacheFileRemoved(ILogger logger, string path, string problem);

    [LoggerMessage(30, LogLevel.Warning, "{Count} file(s) in the offline cache {Directory} were not readable envelopes and were removed or set aside (internal_sdk_error); the first: {First}.")]
    public static partial void CacheFilesRemoved(ILogger logger, int count, string directory, string first);

    [LoggerMessage(31, LogLevel.Information, "The offline cache folder {Directory} could be read by other users; it was made owner-only.")]
    public static partial void CachePermissionsTightened(ILogger logger, string directory);

    [LoggerMessage(32, LogLevel.Warning, "The offline cache folder {Directory} can be read by other users and could not be made owner-only.")]
    public static partial void CachePermissionsLoose(ILogger logger, Exception exception, string directory);

    [LoggerMessage(19, LogLevel.Information, "{Count} envelope(s) left in the offline cache {Directory} by an earlier process will be sent first, 100 ms apart.")]
    public static partial void CacheRestored(ILogger logger, int count, string directory);

    [LoggerMessage(21, LogLevel.Warning, "Forwarding to Spotlight failed; delivery to Sentry is not affected.")]
    public static partial void SpotlightUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Warning, "The Sentry SDK was initialised without ErrorReporting's delivery engine; the SDK's own background worker sends (see README, \"Already using Sentry?\").")]
    public static partial void WithoutEngine(ILogger logger);
}
