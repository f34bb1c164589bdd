using System.Diagnostics.Metrics;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// The reporter's accounting. Every accepted or attempted report ends in exactly one place, so that at a quiet
/// moment <c>reported + restored == delivered + dropped + queued</c>. The values are published as observable
/// instruments of the <c>ErrorReporting</c> meter, which cost nothing on the reporting path.
/// </summary>
internal sealed class ReporterCounters : IDisposable
{
    public const string MeterName = "ErrorReporting";

    private readonly long[] _dropped = new long[DiscardReasons.Count];
    private readonly long[] _pendingClientReport = new long[DiscardReasons.Count];
    private readonly Func<long> _queuedInMemory;
    private Func<long> _queuedInStore = static () => 0;
    private Meter? _meter;
    private bool _ownsMeter;
    private long _reportedRejectedAtCall;
    private long _delivered;
    private long _retries;
    private long _restored;

    /// <param name="acceptedCount">How many reports the queue accepted.</param>
    /// <param name="queuedInMemory">How many reports wait in the queue.</param>
    public ReporterCounters(Func<long> acceptedCount, Func<long> queuedInMemory)
    {
        AcceptedCount = acceptedCount;
        _queuedInMemory = queuedInMemory;
    }

    /// <summary>
    /// Publishes the counters as observable instruments of the <c>ErrorReporting</c> meter (from the application's
    /// <see cref="IMeterFactory"/> when it has one), and starts counting the store's envelopes as queued.
    /// </summary>
    public void Publish(IMeterFactory? meterFactory, Func<long> queuedInStore)
    {
        _queuedInStore = queuedInStore;
        Meter meter;
        if (meterFactory is not null)
        {
            meter = meterFactory.Create(MeterName);
        }
        else
        {
            meter = new Meter(MeterName, typeof(ReporterCounters).Assembly.GetName().Version?.ToString());
            _ownsMeter = true;
        }

        meter.CreateObservableCounter("errorreporting.events.reported", () => Reported, "{event}", "Reports made on an enabled reporter (duplicates of an already reported exception excluded).");
        meter.CreateObservableCounter("errorreporting.events.delivered", () => Delivered, "{event}", "Events the server accepted.");
        meter.CreateObservableCounter("errorreporting.events.dropped", ObserveDropped, "{event}", "Events dropped, by reason (sample_rate, queue_overflow, ratelimit_backoff, before_send, send_error, cache_overflow, internal_sdk_error).");
        meter.CreateObservableUpDownCounter("errorreporting.events.queued", () => Queued, "{event}", "Events accepted and not yet delivered or dropped (in memory or in the offline cache).");
        meter.CreateObservableCounter("errorreporting.events.restored", () => Restored, "{event}", "Events found in the offline cache at start-up, left by an earlier process.");
        meter.CreateObservableCounter("errorreporting.send.retries", () => Retries, "{attempt}", "Send attempts that failed and will be retried (network errors, timeouts, 5xx).");
        Volatile.Write(ref _meter, meter);
    }

    /// <summary>Gets the meter, once <see cref="Publish"/> ran.</summary>
    public Meter? Meter => Volatile.Read(ref _meter);


    public Func<long> AcceptedCount { get; }

    public long Reported => AcceptedCount() + Volatile.Read(ref _reportedRejectedAtCall);

    public long Delivered => Volatile.Read(ref _delivered);

    public long Retries => Volatile.Read(ref _retries);

    public long Restored => Volatile.Read(ref _restored);

    public long Queued => _queuedInMemory() + _queuedInStore();

    public long DroppedTotal
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _dropped.Length; i++)
            {
                total += Volatile.Read(ref _dropped[i]);
            }

            return total;
        }
    }

    public long Dropped(DiscardReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    /// <summary>A report refused by the call itself (sampled out, queue full): reported and dropped at once.</summary>
    public void RejectedAtCall(DiscardReason reason)
    {
        Interlocked.Increment(ref _reportedRejectedAtCall);
        Drop(reason);
    }

    public void Drop(DiscardReason reason, int quantity = 1)
    {
        Interlocked.Add(ref _dropped[(int)reason], quantity);
        Interlocked.Add(ref _pendingClientReport[(int)reason], quantity);
    }

    public void Deliver() => Interlocked.Increment(ref _delivered);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Restore(int count) => Interlocked.Add(ref _restored, count);

    /// <summary>Takes (and resets) the discards not yet sent in a client report.</summary>
    public long[]? TakeClientReport()
    {
        long[]? taken = null;
        for (var i = 0; i < _pendingClientReport.Length; i++)
        {
            if (Volatile.Read(ref _pendingClientReport[i]) != 0)
            {
                taken ??= new long[_pendingClientReport.Length];
                taken[i] = Interlocked.Exchange(ref _pendingClientReport[i], 0);
            }
        }

        return taken;
    }

    /// <summary>Puts back discards whose client report did not reach the server.</summary>
    public void RestoreClientReport(long[] taken)
    {
        for (var i = 0; i < taken.Length; i++)
        {
            if (taken[i] != 0)
            {
                Interlocked.Add(ref _pendingClientReport[i], taken[i]);
            }
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter?.Dispose();
        }
    }

    private IEnumerable<Measurement<long>> ObserveDropped()
    {
        var measurements = new Measurement<long>[DiscardReasons.Count];
        for (var i = 0; i < measurements.Length; i++)
        {
            measurements[i] = new Measurement<long>(Volatile.Read(ref _dropped[i]), new KeyValuePair<string, object?>("reason", ((DiscardReason)i).ToWireName()));
        }

        return measurements;
    }
}
