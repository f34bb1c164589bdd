using System.Diagnostics.Metrics;

namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// Publishes the engine's accounting as observable instruments of the <c>ErrorReporting</c> meter (from the
/// application's <see cref="IMeterFactory"/> when it has one), which cost nothing on the reporting path.
/// </summary>
internal sealed class DeliveryMeter : IDisposable
{
    public const string MeterName = "ErrorReporting";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <param name="meterFactory">The application's meter factory, or <see langword="null"/> for a meter of the engine's own.</param>
    /// <param name="counters">The engine's counters.</param>
    /// <param name="queued">How many envelopes the queue and the store hold.</param>
    /// <param name="cached">How many envelopes the offline cache holds.</param>
    public DeliveryMeter(IMeterFactory? meterFactory, DeliveryCounters counters, Func<long> queued, Func<long> cached)
    {
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(MeterName);
        }
        else
        {
            _meter = new Meter(MeterName, typeof(DeliveryMeter).Assembly.GetName().Version?.ToString());
            _ownsMeter = true;
        }

        _meter.CreateObservableCounter("errorreporting.envelopes.reported", () => counters.Reported, "{envelope}", "Envelopes the SDK handed to the delivery engine (events, messages, sessions, transactions, client reports).");
        _meter.CreateObservableCounter("errorreporting.envelopes.delivered", () => counters.Delivered, "{envelope}", "Envelopes the server accepted.");
        _meter.CreateObservableCounter("errorreporting.envelopes.dropped", () => Dropped(counters), "{envelope}", "Envelopes dropped, by reason (queue_overflow, ratelimit_backoff, send_error, cache_overflow, internal_sdk_error, rate_limited).");
        _meter.CreateObservableUpDownCounter("errorreporting.envelopes.queued", queued, "{envelope}", "Envelopes accepted and not yet delivered or dropped (in memory or in the offline cache).");
        _meter.CreateObservableUpDownCounter("errorreporting.envelopes.cached", cached, "{envelope}", "Envelopes in the offline cache.");
        _meter.CreateObservableCounter("errorreporting.envelopes.restored", () => counters.Restored, "{envelope}", "Envelopes found in the offline cache at start-up, left by an earlier process.");
        _meter.CreateObservableCounter("errorreporting.envelopes.not_cached", () => counters.NotCached, "{envelope}", "Envelopes the offline cache could not write (disk full, folder not writable), kept in memory instead.");
        _meter.CreateObservableCounter("errorreporting.send.retries", () => counters.Retries, "{attempt}", "Sends that got no response (refused, reset, DNS, timeout), whose envelope is sent again.");
    }

    public Meter Meter => _meter;

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static Measurement<long>[] Dropped(DeliveryCounters counters)
    {
        var measurements = new Measurement<long>[DiscardReasons.Count];
        for (var i = 0; i < measurements.Length; i++)
        {
            var reason = (DiscardReason)i;
            measurements[i] = new Measurement<long>(counters.Dropped(reason), new KeyValuePair<string, object?>("reason", reason.ToWireName()));
        }

        return measurements;
    }
}
