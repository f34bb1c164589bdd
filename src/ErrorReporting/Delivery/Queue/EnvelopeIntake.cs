using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery.Queue;

/// <summary>
/// The engine's intake, off the callers' threads: takes the SDK's envelopes from the delivery queue in order, lets the
/// SDK process them (its client report, its attachment limit), serializes them with
/// <see cref="Envelope.SerializeAsync(Stream, IDiagnosticLogger?, CancellationToken)"/> and adds the bytes to the
/// store, numbered in order. A flush marker gets the number of the next envelope as its watermark.
/// </summary>
internal sealed class EnvelopeIntake : IDisposable
{
    private readonly EnvelopeQueue _queue;
    private readonly SdkEnvelopeProcessor _sdk;
    private readonly IEnvelopeStore _store;
    private readonly FlushTracker _flush;
    private readonly DeliveryCounters _counters;
    private readonly SpotlightForwarder? _spotlight;
    private readonly IDiagnosticLogger? _sdkLogger;
    private readonly ILogger _logger;
    private readonly MemoryStream _buffer = new(16 * 1024);
    private long _nextSequence;

    public EnvelopeIntake(EnvelopeQueue queue, SdkEnvelopeProcessor sdk, IEnvelopeStore store, FlushTracker flush, DeliveryCounters counters, SpotlightForwarder? spotlight, IDiagnosticLogger? sdkLogger, ILogger logger)
    {
        _queue = queue;
        _sdk = sdk;
        _store = store;
        _flush = flush;
        _counters = counters;
        _spotlight = spotlight;
        _sdkLogger = sdkLogger;
        _logger = logger;
    }

    /// <summary>Runs until the queue is closed and empty, or <paramref name="stopping"/> is canceled.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                if (entry is FlushMarker marker)
                {
                    marker.Watermark = _nextSequence;
                    _flush.Register(marker);
                    continue;
                }

                _queue.Taken();
                var envelope = (Envelope)entry;
                if (Serialize(envelope, QueueLanes.Of(envelope)) is { } pending)
                {
                    _spotlight?.Forward(pending);
                    _store.Add(pending);

                    // The offline cache may have evicted older envelopes to make room: a flush waiting only for them is done.
                    _flush.NotifyProgress();
                }
            }
        }
    }

    public void Dispose()
    {
        _buffer.Dispose();
        _spotlight?.Dispose();
    }

    /// <summary>Serializes one envelope, or returns <see langword="null"/> when it cannot be (counted and logged; its queue room given back).</summary>
    internal PendingEnvelope? Serialize(Envelope envelope, QueueLane lane)
    {
        var categories = EnvelopeSerializer.Categories(envelope);
        try
        {
            using var processed = _sdk.Process(envelope);
            if (processed.Items.Count == 0)
            {
                // Nothing left to send: only attachments over MaxAttachmentSize, which the SDK removed (and logged).
                _counters.Drop(DiscardReason.InternalSdkError, categories, SpanCounts.Of(envelope));
                _queue.Room.Release(lane);
                return null;
            }

            categories = EnvelopeSerializer.Categories(processed);
            return EnvelopeSerializer.Serialize(processed, _nextSequence++, categories, lane, _queue.Room, _buffer, _sdkLogger);
        }
        catch (Exception exception)
        {
            Log.SerializeFailed(_logger, exception, envelope.TryGetEventId()?.ToString() ?? "(none)");
            _counters.Drop(DiscardReason.InternalSdkError, categories, SpanCounts.Of(envelope));
            _queue.Room.Release(lane);
            return null;
        }
        finally
        {
            envelope.Dispose();
        }
    }
}
