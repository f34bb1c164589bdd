using BenchmarkDotNet.Attributes;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Processing;
using ErrorReporting.Reporting;
using ErrorReporting.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The background worker's cost per event, in steady state: build the event (exception chain, stack frames with
/// file and line, contexts), serialize it into an envelope item, gzip it as the transport does.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class WorkerBenchmarks
{
    private readonly MemoryStream _compressed = new();
    private ReportWorker _worker = null!;
    private ReporterCounters _counters = null!;
    private ReportEntry _exceptionEntry;
    private ReportEntry _messageEntry;

    [GlobalSetup]
    public void Setup()
    {
        var options = new ErrorReportingOptions { Environment = "production", Release = "bench@1.0.0" };
        var queue = new ReportQueue(16);
        _counters = new ReporterCounters(() => 0, () => 0);
        var store = new MemoryEnvelopeStore(() => { });
        _worker = new ReportWorker(queue, new ReportedExceptions(16), new EventBuilder(options), new EventWriter(), store, _counters, null, TimeProvider.System, NullLogger.Instance, () => { });
        _exceptionEntry = new ReportEntry { EventId = Guid.NewGuid(), TimestampTicks = DateTime.UtcNow.Ticks, Exception = SampleExceptions.TenFramesWithInner(), Level = SentryLevel.Error, Kind = ReportKind.Handled };
        _messageEntry = new ReportEntry { EventId = Guid.NewGuid(), TimestampTicks = DateTime.UtcNow.Ticks, Message = "Cache warmed in 42 ms", Level = SentryLevel.Info, Kind = ReportKind.Message };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _worker.Dispose();
        _counters.Dispose();
    }

    [Benchmark(Description = "Exception event: 10 frames + 1 inner, build + serialize + gzip")]
    public int ExceptionEvent() => BuildSerializeCompress(_exceptionEntry);

    [Benchmark(Description = "Message event: build + serialize + gzip")]
    public int MessageEvent() => BuildSerializeCompress(_messageEntry);

    private int BuildSerializeCompress(in ReportEntry entry)
    {
        using var envelope = _worker.Process(entry, sequence: 0) ?? throw new InvalidOperationException("The event was dropped.");
        return EnvelopeCompression.Compress(envelope.Items, _compressed).Length;
    }
}
