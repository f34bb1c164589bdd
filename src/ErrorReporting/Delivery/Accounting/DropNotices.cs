using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// Logs the drops counted since the last notice, one line per reason, at most once per <see cref="Interval"/>, so that
/// a flood of refused reports costs a log line, not one per report. Called where drops happen (the caller's thread
/// when a report is refused, the sender's loop otherwise).
/// </summary>
internal sealed class DropNotices(DeliveryCounters counters, ILogger logger, TimeProvider time)
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly long[] _logged = new long[DiscardReasons.Count];
    private long _lastTimestamp = long.MinValue;

    public void Notice()
    {
        var now = time.GetTimestamp();
        var last = Volatile.Read(ref _lastTimestamp);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < Interval)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastTimestamp, now, last) != last)
        {
            return; // another thread is logging
        }

        lock (_logged)
        {
            for (var i = 0; i < _logged.Length; i++)
            {
                var reason = (DiscardReason)i;
                var total = counters.Dropped(reason);
                if (total != _logged[i])
                {
                    Log.Dropped(logger, total - _logged[i], reason.ToWireName());
                    _logged[i] = total;
                }
            }
        }
    }
}
