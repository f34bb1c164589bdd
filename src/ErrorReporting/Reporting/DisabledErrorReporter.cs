
namespace ErrorReporting.Reporting;

/// <summary>
/// The reporter without a DSN: every report is a no-op that returns <see cref="SentryId.Empty"/> (argument checks
/// aside), allocates nothing and never initialises the SDK.
/// </summary>
internal sealed class DisabledErrorReporter : IErrorReporter
{
    public static readonly DisabledErrorReporter Instance = new();

    private static readonly ValueTask<bool> s_flushed = new(true);

    private DisabledErrorReporter()
    {
    }

    public bool IsEnabled => false;

    public SentryId ReportHandled(Exception exception, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return SentryId.Empty;
    }

    public SentryId ReportUnhandled(Exception exception, string mechanism, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(mechanism);
        return SentryId.Empty;
    }

    public SentryId ReportMessage(string message, SentryLevel level = SentryLevel.Info, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SentryId.Empty;
    }

    public ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        FlushTimeout.ThrowIfInvalid(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        return s_flushed;
    }
}
