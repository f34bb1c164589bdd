using System.Diagnostics;
using ErrorReporting.Reporting;
using Sentry.Extensibility;

namespace ErrorReporting.Hosting;

/// <summary>
/// Flushes the SDK's global hub: through ErrorReporting's delivery engine when it serves the hub (an exact answer),
/// else through the hub, whose flush reports nothing (the result is then whether it ended before the timeout).
/// </summary>
internal sealed class SdkFlush(IHub hub, EngineRegistry engines) : IDeliveryFlush
{
    public async ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (hub is HubAdapter && engines.ServingEngine is { } engine)
        {
            return await engine.FlushAsync(timeout, cancellationToken).ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        await hub.FlushAsync(timeout).WaitAsync(cancellationToken).ConfigureAwait(false);
        return timeout == Timeout.InfiniteTimeSpan || Stopwatch.GetElapsedTime(started) < timeout;
    }
}
