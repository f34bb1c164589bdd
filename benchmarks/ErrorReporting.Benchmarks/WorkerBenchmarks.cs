using System.Buffers;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Sending;
using ErrorReporting.Delivery.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// Proof 4: the delivery engine's cost per event, off the caller's thread. For an event exactly as ErrorReporting
/// captured it (the SDK's processors, scope and ErrorReporting's processors applied), one invocation does what the
/// engine does per event: the SDK's envelope processing and serialization (<see cref="EnvelopeIntake"/>), the header
/// framing at send time (<see cref="EnvelopeFraming"/>), gzip at the SDK's <c>RequestBodyCompressionLevel</c> (as
/// <c>HttpEnvelopeTransport</c> does) and the hand-over to a transport that discards.
/// </summary>
/// <remarks>
/// The SDK adds an "Exception" breadcrumb to the scope for every exception captured (100 at most), and every event
/// carries the scope's breadcrumbs: the first event of a process has none, an application that keeps reporting
/// exceptions sends 100 with each. Both are measured.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class WorkerBenchmarks
{
    private readonly ArrayBufferWriter<byte> _frame = new(16 * 1024);
    private readonly MemoryStream _body = new(16 * 1024);
    private readonly DiscardingTransport _transport = new();
    private Scenario _scenario = null!;
    private EnvelopeIntake _intake = null!;
    private CompressionLevel _compression;
    private SentryEvent _firstException = null!;
    private SentryEvent _steadyException = null!;
    private SentryEvent _message = null!;

    [GlobalSetup]
    public void Setup()
    {
        var captured = new List<SentryEvent>();
        SentryOptions? sdkOptions = null;
        _scenario = Scenario.ErrorReporting(1024, options =>
        {
            sdkOptions = options;
            options.SetBeforeSend((sentryEvent, _) =>
            {
                lock (captured)
                {
                    captured.Add(sentryEvent);
                }

                return sentryEvent;
            });
        });

        foreach (var exception in SampleExceptions.Many(101))
        {
            _scenario.ReportException(exception);
        }

        _scenario.ReportMessage(Scenario.MessageText);
        _scenario.Flush();
        _firstException = captured[0];
        _steadyException = captured[100];
        _message = captured[101];
        if (_steadyException.Breadcrumbs.Count != 100 || _firstException.Breadcrumbs.Count != 0)
        {
            throw new InvalidOperationException($"Unexpected breadcrumbs: {_firstException.Breadcrumbs.Count} and {_steadyException.Breadcrumbs.Count}.");
        }

        var store = new MemoryEnvelopeStore();
        _compression = sdkOptions!.RequestBodyCompressionLevel;
        _intake = new EnvelopeIntake(new EnvelopeQueue(16), new SdkEnvelopeProcessor(sdkOptions), store, new FlushTracker(store), new DeliveryCounters(TimeProvider.System), spotlight: null, sdkLogger: null, NullLogger.Instance);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _intake.Dispose();
        _scenario.Dispose();
    }

    [Benchmark(Description = "exception event, first of the process (0 breadcrumbs)")]
    public int FirstExceptionEvent() => SerializeFrameCompressSend(_firstException);

    [Benchmark(Description = "exception event, steady state (100 exception breadcrumbs)")]
    public int SteadyExceptionEvent() => SerializeFrameCompressSend(_steadyException);

    [Benchmark(Description = "message event (101 breadcrumbs before it: 100)")]
    public int MessageEvent() => SerializeFrameCompressSend(_message);

    private int SerializeFrameCompressSend(SentryEvent sentryEvent)
    {
        using var pending = _intake.Serialize(Envelope.FromEvent(sentryEvent), QueueLane.Errors) ?? throw new InvalidOperationException("The event was dropped.");
        _frame.ResetWrittenCount();
        EnvelopeFraming.WriteHeaderLine(_frame, pending.Header, DateTimeOffset.UtcNow);
        _frame.Write(pending.Items);
        _body.SetLength(0);
        using (var gzip = new GZipStream(_body, _compression, leaveOpen: true))
        {
            gzip.Write(_frame.WrittenSpan);
        }

        _ = _transport.SendAsync(_body.GetBuffer().AsMemory(0, (int)_body.Length), CancellationToken.None);
        return (int)_body.Length;
    }
}
