using Microsoft.Extensions.Logging;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// The library's own diagnostics (category <c>ErrorReporting</c>). DSNs are logged redacted, never with their keys.
/// </summary>
internal static partial class Log
{
    public const string Category = "ErrorReporting";

    [LoggerMessage(1, LogLevel.Information, "Error reporting is disabled: no DSN is configured (set ErrorReportingOptions.Dsn or the SENTRY_DSN environment variable).")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(2, LogLevel.Information, "Error reporting to {Dsn} (environment '{Environment}', release '{Release}').")]
    public static partial void Enabled(ILogger logger, string dsn, string? environment, string? release);

    [LoggerMessage(3, LogLevel.Warning, "{Count} report(s) dropped since the last notice ({Reason}); see the errorreporting.events.dropped counter.")]
    public static partial void Dropped(ILogger logger, long count, string reason);

    [LoggerMessage(4, LogLevel.Warning, "ErrorReportingOptions.BeforeSend threw; the event {EventId} is sent unmodified.")]
    public static partial void BeforeSendFailed(ILogger logger, Exception exception, SentryEventId eventId);

    [LoggerMessage(5, LogLevel.Error, "The event {EventId} could not be built or serialized and was dropped.")]
    public static partial void BuildFailed(ILogger logger, Exception exception, SentryEventId eventId);

    [LoggerMessage(6, LogLevel.Warning, "Sending to Sentry failed ({Reason}); retry {Attempt} in {DelayMs} ms.")]
    public static partial void SendFailed(ILogger logger, string reason, int attempt, long delayMs);

    [LoggerMessage(7, LogLevel.Warning, "The Sentry server rejected the envelope {EventId} with HTTP {StatusCode}: {Detail}. It was dropped (send_error).")]
    public static partial void Rejected(ILogger logger, SentryEventId eventId, int statusCode, string detail);

    [LoggerMessage(8, LogLevel.Information, "The Sentry server set a rate limit: events wait until {Until:O}.")]
    public static partial void RateLimited(ILogger logger, DateTimeOffset until);

    [LoggerMessage(9, LogLevel.Debug, "Event {EventId} delivered.")]
    public static partial void Delivered(ILogger logger, SentryEventId eventId);

    [LoggerMessage(10, LogLevel.Warning, "{Count} event(s) were not delivered within the shutdown timeout of {Timeout}.")]
    public static partial void NotDeliveredAtShutdown(ILogger logger, long count, TimeSpan timeout);

    [LoggerMessage(11, LogLevel.Warning, "The event {EventId} exceeded Sentry's size limit and was sent without stack frames of inner exceptions and extra data.")]
    public static partial void Reduced(ILogger logger, SentryEventId eventId);

    [LoggerMessage(12, LogLevel.Debug, "Report after the reporter was disposed: ignored.")]
    public static partial void ReportAfterDispose(ILogger logger);

    [LoggerMessage(14, LogLevel.Information, "Unhandled exception reported; delivery before termination {Outcome} (shutdown timeout {Timeout}).")]
    private static partial void CrashFlushed(ILogger logger, string outcome, TimeSpan timeout);

    public static void CrashFlushed(ILogger logger, bool flushed, TimeSpan timeout) => CrashFlushed(logger, flushed ? "completed" : "timed out", timeout);

    [LoggerMessage(15, LogLevel.Error, "The unhandled-exception hook failed; the original exception proceeds unchanged.")]
    public static partial void HookFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "The offline cache {Directory} cannot be used (another process may hold it); this process keeps its events in memory.")]
    public static partial void CacheUnavailable(ILogger logger, Exception exception, string directory);

    [LoggerMessage(17, LogLevel.Warning, "Writing or deleting {Path} in the offline cache failed.")]
    public static partial void CacheWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(18, LogLevel.Warning, "The offline cache file {Path} is corrupt ({Problem}); it was removed.")]
    public static partial void CorruptCacheFile(ILogger logger, string path, string problem);

    [LoggerMessage(19, LogLevel.Information, "{Count} event(s) left in the offline cache {Directory} by an earlier process will be sent first.")]
    public static partial void CacheRestored(ILogger logger, int count, string directory);

    [LoggerMessage(13, LogLevel.Error, "The error reporter's background worker failed; reports are no longer sent.")]
    public static partial void WorkerFailed(ILogger logger, Exception exception);
}
