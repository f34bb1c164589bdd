namespace ErrorReporting.Reporting;

/// <summary>
/// Waits for what was reported to be delivered: through ErrorReporting's delivery engine when it is the SDK's
/// background worker (an exact answer), else through the SDK's own flush.
/// </summary>
internal interface IDeliveryFlush
{
    /// <summary>Waits; the timeout is valid (checked by the caller).</summary>
    ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
