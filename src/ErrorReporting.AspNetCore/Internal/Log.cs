using Microsoft.Extensions.Logging;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>The integration's own diagnostics (category <c>ErrorReporting.AspNetCore</c>).</summary>
internal static partial class Log
{
    public const string Category = "ErrorReporting.AspNetCore";

    [LoggerMessage(101, LogLevel.Warning, "Reporting the exception of the request {Method} {Path} failed; the request's error response proceeds without an event id.")]
    public static partial void ReportFailed(ILogger logger, Exception exception, string? method, string? path);
}
