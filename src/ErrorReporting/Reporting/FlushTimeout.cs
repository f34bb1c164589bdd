namespace ErrorReporting.Reporting;

/// <summary>The argument rule of <see cref="IErrorReporter.FlushAsync"/>, shared by both reporters.</summary>
internal static class FlushTimeout
{
    public static void ThrowIfInvalid(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }
    }
}
