using System.Buffers;
using System.Text.Json;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Events;
using ErrorReporting.Reporting;
using ErrorReporting.Serialization;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Processing;

/// <summary>
/// The building half of the background worker: takes reports from the queue in order, marks their exceptions as
/// reported, builds the event, applies <see cref="ErrorReportingOptions.BeforeSend"/>, serializes it into an envelope
/// item and hands it to the store. Runs on a dedicated background thread, so that waking it never touches (or waits for)
/// the thread pool; nothing here runs on a caller's thread.
/// </summary>
internal sealed class ReportWorker : IDisposable
{
    private readonly ReportQueue _queue;
    private readonly ReportedExceptions _reported;
    private readonly EventBuilder _builder;
    private readonly EventWriter _writer;
    private readonly IEnvelopeStore _store;
    private readonly ReporterCounters _counters;
    private readonly Func<SentryEvent, SentryEvent?>? _beforeSend;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Action _onProgress;
    private readonly ArrayBufferWriter<byte> _payload = new(8 * 1024);
    private readonly ArrayBufferWriter<byte> _items = new(8 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly long[] _loggedDrops = new long[DiscardReasons.Count];
    private long _processed;

    public ReportWorker(
        ReportQueue queue,
        ReportedExceptions reported,
        EventBuilder builder,
        EventWriter writer,
        IEnvelopeStore store,
        ReporterCounters counters,
        Func<SentryEvent, SentryEvent?>? beforeSend,
        TimeProvider time,
        ILogger logger,
        Action onProgress)
    {
        _queue = queue;
        _reported = reported;
        _builder = builder;
        _writer = writer;
        _store = store;
        _counters = counters;
        _beforeSend = beforeSend;
        _time = time;
        _logger = logger;
        _onProgress = onProgress;
        _json = new Utf8JsonWriter(_payload);
    }

    /// <summary>Gets the number of queued reports fully handed on (stored or dropped): reports 0 … n-1 are done with.</summary>
    public long ProcessedCount => Volatile.Read(ref _processed);

    /// <summary>Runs the loop on the calling thread (a dedicated thread) until <paramref name="stopping"/> is canceled.</summary>
    public void Run(CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                while (_queue.TryDequeue(out var entry))
                {
                    var sequence = _processed;
                    var envelope = Process(entry, sequence);
                    if (envelope is not null)
                    {
                        // Waits only when the in-memory store is full (the sender is behind).
                        var adding = _store.AddAsync(envelope, stopping);
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
            // Shutting down: what is still queued is counted as not delivered by the reporter.
        }
    }

    public void Dispose()
    {
        _json.Dispose();
        _builder.Dispose();
    }

    /// <summary>Builds the envelope for one report, or returns <see langword="null"/> when the report is dropped (counted).</summary>
    internal PendingEnvelope? Process(in ReportEntry entry, long sequence)
    {
        var eventId = new SentryEventId(entry.EventId);
        if (entry.Exception is not null)
        {
            _reported.MarkProcessed(entry.Exception, entry.EventId);
        }

        try
        {
            var sentryEvent = _builder.Build(entry);
            if (_beforeSend is not null)
            {
                SentryEvent? result;
                try
                {
                    result = _beforeSend(sentryEvent);
                }
                catch (Exception exception)
                {
                    Log.BeforeSendFailed(_logger, exception, eventId);
                    result = sentryEvent;
                }

                if (result is null)
                {
                    _counters.Drop(DiscardReason.BeforeSend);
                    return null;
                }

                sentryEvent = result;
            }

            WritePayload(sentryEvent, reduced: false);
            if (_payload.WrittenCount > SentryLimits.EventBytes)
            {
                WritePayload(sentryEvent, reduced: true);
                Log.Reduced(_logger, eventId);
                if (_payload.WrittenCount > SentryLimits.EventBytes)
                {
                    throw new InvalidOperationException($"The event is {_payload.WrittenCount} bytes even without stack frames and extra data.");
                }
            }

            _items.ResetWrittenCount();
            EnvelopeWriter.WriteItem(_items, "event"u8, _payload.WrittenSpan);
            return new PendingEnvelope(sequence, eventId, _items.WrittenSpan, _time.GetUtcNow());
        }
        catch (Exception exception)
        {
            Log.BuildFailed(_logger, exception, eventId);
            _counters.Drop(DiscardReason.InternalSdkError);
            return null;
        }
    }

    private void WritePayload(SentryEvent sentryEvent, bool reduced)
    {
        _payload.ResetWrittenCount();
        _json.Reset(_payload);
        _writer.Write(_json, sentryEvent, reduced);
        _json.Flush();
    }

    /// <summary>Logs drops (overflow on callers' threads included) once per batch rather than once per report.</summary>
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
