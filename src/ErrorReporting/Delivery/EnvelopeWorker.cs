using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// The engine's intake, on a dedicated thread (so that waking it never touches or waits for the thread pool): takes
/// the SDK's envelopes from the delivery queue in order, lets the SDK process them (its client report, its attachment
/// limit), serializes them with <see cref="Envelope.SerializeAsync(Stream, IDiagnosticLogger?, CancellationToken)"/>
/// and hands the bytes to the store (memory or the offline cache). Nothing here runs on a caller's thread.
/// </summary>
internal sealed class EnvelopeWorker : IDisposable
{
    private readonly EnvelopeQueue _queue;
    private readonly SdkEnvelopeProcessor _sdk;
    private readonly IEnvelopeStore _store;
    private readonly DeliveryCounters _counters;
    private readonly IDiagnosticLogger? _sdkLogger;
    private readonly ILogger _logger;
    private readonly Action _onProgress;
    private readonly SpotlightForwarder? _spotlight;
    private readonly MemoryStream _buffer = new(16 * 1024);
    private readonly long[] _loggedDrops = new long[DiscardReasons.Count];
    private long _processed;

    public EnvelopeWorker(EnvelopeQueue queue, SdkEnvelopeProcessor sdk, IEnvelopeStore store, DeliveryCounters counters, IDiagnosticLogger? sdkLogger, ILogger logger, Action onProgress, SpotlightForwarder? spotlight = null)
    {
        _spotlight = spotlight;
        _queue = queue;
        _sdk = sdk;
        _store = store;
        _counters = counters;
        _sdkLogger = sdkLogger;
        _logger = logger;
        _onProgress = onProgress;
    }

    /// <summary>Gets the number of queued envelopes fully handed on (stored or dropped): envelopes 0 … n-1 are done with.</summary>
    public long ProcessedCount => Volatile.Read(ref _processed);

    /// <summary>Gets the <c>sdk</c> member of the envelope headers the SDK writes (name and version), for envelopes the engine makes itself.</summary>
    public object? SdkHeader { get; private set; }

    public void Dispose()
    {
        _buffer.Dispose();
        _spotlight?.Dispose();
    }

    /// <summary>Runs the loop on the calling thread (a dedicated thread) until <paramref name="stopping"/> is canceled.</summary>
    public void Run(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                while (_queue.TryDequeue(out var envelope))
                {
                    var sequence = _processed;
                    var pending = Serialize(envelope, sequence);
                    if (pending is not null)
                    {
                        _spotlight?.Forward(pending);

                        // Waits only when the in-memory store is full (the sender is behind).
                        var adding = _store.AddAsync(pending, stopping);
                        if (!adding.IsCompletedSuccessfully)
                        {
                            adding.AsTask().GetAwaiter().GetResult();
                        }
                    }

                    Volatile.Write(ref _processed, sequence + 1);
                    _onProgress();
                }

                LogNewDrops();
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                _queue.WaitToDequeue(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: what is still queued is counted as not delivered by the engine.
        }
    }

    /// <summary>Serializes one envelope, or returns <see langword="null"/> when it cannot be (counted and logged).</summary>
    internal PendingEnvelope? Serialize(Envelope envelope, long sequence)
    {
        var categories = EnvelopeSerializer.Categories(envelope);
        try
        {
            using var processed = _sdk.Process(envelope);
            if (processed.Items.Count == 0)
            {
                // Nothing left to send: only attachments over MaxAttachmentSize, which the SDK removed (and logged).
                _counters.Drop(DiscardReason.InternalSdkError, categories);
                return null;
            }

            categories = EnvelopeSerializer.Categories(processed);
            if (processed.Header.TryGetValue("sdk", out var sdk))
            {
                SdkHeader = sdk;
            }

            return EnvelopeSerializer.Serialize(processed, sequence, categories, _buffer, _sdkLogger);
        }
        catch (Exception exception)
        {
            Log.SerializeFailed(_logger, exception, envelope.TryGetEventId()?.ToString() ?? "(none)");
            _counters.Drop(DiscardReason.InternalSdkError, categories);
            return null;
        }
        finally
        {
            envelope.Dispose();
        }
    }

    /// <summary>Logs drops (the queue's on callers' threads included) once per batch rather than once per envelope.</summary>
    private void LogNewDrops()
    {
        for (var i = 0; i < _loggedDrops.Length; i++)
        {
            var reason = (DiscardReason)i;
            var total = _counters.Dropped(reason);
            if (total != _loggedDrops[i])
            {
                Log.Dropped(_logger, total - _loggedDrops[i], reason.ToWireName());
                _loggedDrops[i] = total;
            }
        }
    }
}
