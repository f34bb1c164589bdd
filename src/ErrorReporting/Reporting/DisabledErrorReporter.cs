namespace ErrorReporting.Reporting;

/// <summary>
/// The reporter when no DSN is configured: every report is a no-op returning <see cref="SentryEventId.Empty"/>
/// (after the argument check), allocating nothing.
/// </summary>
internal sealed class DisabledErrorReporter : IErrorReporter
{
    public static readonly DisabledErrorReporter Instance = new();

    public bool IsEnabled => false;

    public SentryEventId ReportHandled(Exception exception, SentryLevel level = SentryLevel.Error, ReportContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return SentryEventId.Empty;
    }

    public SentryEventId ReportUnhandled(Exception exception, string mechanism, SentryLevel level = SentryLevel.Error, ReportContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(mechanism);
        return SentryEventId.Empty;
    }

    public SentryEventId ReportMessage(string message, SentryLevel level = SentryLevel.Info, ReportContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SentryEventId.Empty;
    }

    public ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new ValueTask<bool>(true);
    }
}
