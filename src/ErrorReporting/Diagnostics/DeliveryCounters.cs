using System.Diagnostics.Metrics;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// The delivery engine's accounting, in envelopes (of any kind: events, sessions, transactions, client reports…).
/// Every envelope offered to the engine ends in exactly one place, so that at a quiet moment
/// <c>reported + restored == delivered + dropped + queued</c>. The values are published as observable instruments of
/// the <c>ErrorReporting</c> meter, which cost nothing on the reporting path. Discards are also kept per
/// (reason, data category) until a client report carries them to Sentry.
/// </summary>
internal sealed class DeliveryCounters : IDisposable
{
    public const string MeterName = "ErrorReporting";

    private readonly long[] _dropped = new long[DiscardReasons.Count];
    private readonly Dictionary<(DiscardReason Reason, string Category), long> _pendingClientReport = [];
    private readonly Func<long> _acceptedCount;
    private readonly Func<long> _queuedInMemory;
    private Func<long> _queuedInStore = static () => 0;
    private Meter? _meter;
    private bool _ownsMeter;
    private long _rejectedAtCall;
    private long _delivered;
    private long _retries;
    private long _restored;

    /// <param name="acceptedCount">How many envelopes the delivery queue accepted.</param>
    /// <param name="queuedInMemory">How many envelopes wait in the delivery queue.</param>
    public DeliveryCounters(Func<long> acceptedCount, Func<long> queuedInMemory)
    {
        _acceptedCount = acceptedCount;
        _queuedInMemory = queuedInMemory;
    }

    /// <summary>Gets the meter, once <see cref="Publish"/> ran.</summary>
    public Meter? Meter => Volatile.Read(ref _meter);

    public long Reported => _acceptedCount() + Volatile.Read(ref _rejectedAtCall);

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
            meter = new Meter(MeterName, typeof(DeliveryCounters).Assembly.GetName().Version?.ToString());
            _ownsMeter = true;
        }

        meter.CreateObservableCounter("errorreporting.envelopes.reported", () => Reported, "{envelope}", "Envelopes the SDK handed to the delivery engine (events, messages, sessions, transactions, client reports).");
        meter.CreateObservableCounter("errorreporting.envelopes.delivered", () => Delivered, "{envelope}", "Envelopes the server accepted.");
        meter.CreateObservableCounter("errorreporting.envelopes.dropped", ObserveDropped, "{envelope}", "Envelopes dropped, by reason (queue_overflow, ratelimit_backoff, send_error, cache_overflow, internal_sdk_error).");
        meter.CreateObservableUpDownCounter("errorreporting.envelopes.queued", () => Queued, "{envelope}", "Envelopes accepted and not yet delivered or dropped (in memory or in the offline cache).");
        meter.CreateObservableCounter("errorreporting.envelopes.restored", () => Restored, "{envelope}", "Envelopes found in the offline cache at start-up, left by an earlier process.");
        meter.CreateObservableCounter("errorreporting.send.retries", () => Retries, "{attempt}", "Send attempts that failed and will be retried (no response, timeouts, 5xx, 408).");
        Volatile.Write(ref _meter, meter);
    }

    public long Dropped(DiscardReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    /// <summary>An envelope refused by the queue itself: reported and dropped at once.</summary>
    public void RejectedAtCall(DiscardReason reason, ReadOnlySpan<string> categories)
    {
        Interlocked.Increment(ref _rejectedAtCall);
        Drop(reason, categories);
    }

    /// <summary>Counts one dropped envelope, and its items for the next client report.</summary>
    public void Drop(DiscardReason reason, ReadOnlySpan<string> categories)
    {
        Interlocked.Increment(ref _dropped[(int)reason]);
        lock (_pendingClientReport)
        {
            foreach (var category in categories)
            {
                if (category != Delivery.DataCategories.Internal)
                {
                    _pendingClientReport[(reason, category)] = _pendingClientReport.GetValueOrDefault((reason, category)) + 1;
                }
            }
        }
    }

    public void Deliver() => Interlocked.Increment(ref _delivered);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Restore(int count) => Interlocked.Add(ref _restored, count);

    /// <summary>Takes (and resets) the discards not yet sent in a client report, or <see langword="null"/> when there are none.</summary>
    public DiscardCount[]? TakeClientReport()
    {
        lock (_pendingClientReport)
        {
            if (_pendingClientReport.Count == 0)
            {
                return null;
            }

            var taken = _pendingClientReport.Select(p => new DiscardCount(p.Key.Reason, p.Key.Category, p.Value)).ToArray();
            _pendingClientReport.Clear();
            return taken;
        }
    }

    /// <summary>Puts back discards whose client report did not reach the server.</summary>
    public void RestoreClientReport(DiscardCount[] taken)
    {
        lock (_pendingClientReport)
        {
            foreach (var count in taken)
            {
                _pendingClientReport[(count.Reason, count.Category)] = _pendingClientReport.GetValueOrDefault((count.Reason, count.Category)) + count.Quantity;
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

/// <summary>How many items of a data category were discarded for a reason: one entry of a client report.</summary>
internal readonly record struct DiscardCount(DiscardReason Reason, string Category, long Quantity);
