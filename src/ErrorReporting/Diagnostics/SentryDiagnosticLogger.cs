using System.Globalization;
using Microsoft.Extensions.Logging;
using Sentry.Extensibility;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// The SDK's diagnostic logger, bridged to <see cref="ILogger"/> (category <c>Sentry</c>): what the SDK logs when
/// <see cref="SentryOptions.Debug"/> is on goes to the application's logging instead of the console, at or above
/// <see cref="SentryOptions.DiagnosticLevel"/>, with DSN keys removed.
/// </summary>
internal sealed partial class SentryDiagnosticLogger : IDiagnosticLogger
{
    public const string Category = "Sentry";

    private readonly ILogger _logger;
    private readonly SentryLevel _minimum;

    public SentryDiagnosticLogger(ILogger logger, SentryLevel minimum)
    {
        _logger = logger;
        _minimum = minimum;
    }

    public bool IsEnabled(SentryLevel level) => level >= _minimum && _logger.IsEnabled(ToLogLevel(level));

    public void Log(SentryLevel logLevel, string message, Exception? exception = null, params object?[] args)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string text;
        try
        {
            text = args is { Length: > 0 } ? string.Format(CultureInfo.InvariantCulture, message, args) : message;
        }
        catch (FormatException)
        {
            text = message;
        }

        var level = ToLogLevel(logLevel);
        var redacted = SecretRedactor.Redact(text);
        SdkMessage(_logger, level, exception, redacted);
    }

    [LoggerMessage(EventId = 100, Message = "{SentryMessage}")]
    private static partial void SdkMessage(ILogger logger, LogLevel level, Exception? exception, string sentryMessage);

    internal static LogLevel ToLogLevel(SentryLevel level) => level switch
    {
        SentryLevel.Debug => LogLevel.Debug,
        SentryLevel.Info => LogLevel.Information,
        SentryLevel.Warning => LogLevel.Warning,
        SentryLevel.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}
