using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using ErrorReporting.Delivery;
using ErrorReporting.Reporting;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// What a report costs the caller's thread, with the whole pipeline running behind it (worker building and
/// serializing every event, a transport that discards). Each iteration makes <see cref="Calls"/> reports with fresh,
/// already thrown exceptions (throwing is excluded), then waits for the worker to drain before the next iteration,
/// so every measured call takes the accepted path, never the queue-full path.
/// </summary>
/// <remarks>
/// BenchmarkDotNet's <c>Allocated</c> column counts every thread, so it includes the worker building the events.
/// What the caller's thread itself allocates is measured per iteration with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> and printed as <c>// caller-thread bytes/call</c>.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[InvocationCount(Calls)]
[MinIterationCount(15)]
[MaxIterationCount(40)]
public class CallerThreadBenchmarks
{
    private const int Calls = 8192;

    private ServiceProvider _provider = null!;
    private IErrorReporter _fromDi = null!;
    private ErrorReporter _reporter = null!;
    private IErrorReporter _disabled = null!;
    private Exception[] _exceptions = null!;
    private ReportQueue _baselineQueue = null!;
    private Thread _baselineConsumer = null!;
    private volatile bool _stopBaseline;
    private int _next;
    private long _allocatedBefore;
    private double _maxCallerBytesPerCall;

    [GlobalSetup]
    public void GlobalSetup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEnvelopeTransport, DiscardingTransport>();
        services.AddErrorReporting(o =>
        {
            o.Dsn = "https://0123456789abcdef0123456789abcdef@sentry.invalid/1";
            o.MaxQueueItems = 2 * Calls;
        });
        _provider = services.BuildServiceProvider();
        _fromDi = _provider.GetRequiredService<IErrorReporter>();
        _reporter = (ErrorReporter)_fromDi;
        _disabled = new ServiceCollection().AddErrorReporting(o => o.Dsn = string.Empty).BuildServiceProvider().GetRequiredService<IErrorReporter>();

        // The physical-limit baseline: an id, a timestamp and a struct into a bounded lock-free queue with a consumer.
        _baselineQueue = new ReportQueue(2 * Calls);
        _baselineConsumer = new Thread(() =>
        {
            while (!_stopBaseline)
            {
                while (_baselineQueue.TryDequeue(out _))
                {
                }

                Thread.Yield();
            }
        }) { IsBackground = true };
        _baselineConsumer.Start();
    }

    [IterationSetup]
    public void IterationSetup()
    {
        _exceptions = new Exception[Calls];
        for (var i = 0; i < Calls; i++)
        {
            _exceptions[i] = Thrown(i);
        }

        _next = 0;
        _allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        var perCall = (GC.GetAllocatedBytesForCurrentThread() - _allocatedBefore) / (double)Calls;
        _maxCallerBytesPerCall = Math.Max(_maxCallerBytesPerCall, perCall);
        if (!_reporter.FlushAsync(TimeSpan.FromMinutes(1)).AsTask().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("The worker did not drain within a minute.");
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        Console.WriteLine($"// caller-thread bytes/call (max over iterations): {_maxCallerBytesPerCall:0.##}");
        _stopBaseline = true;
        _provider.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Baseline: Guid + timestamp + enqueue struct")]
    public bool PhysicalLimit()
    {
        var entry = new ReportEntry { EventId = Guid.NewGuid(), TimestampTicks = DateTimeOffset.UtcNow.UtcTicks, Exception = _exceptions[_next++] };
        return _baselineQueue.TryEnqueue(in entry);
    }

    /// <summary>
    /// The same floor with an id that needs no system call (the library's own generator): on machines where
    /// <see cref="Guid.NewGuid"/> is a system call costing hundreds of nanoseconds, this is the tighter yardstick.
    /// </summary>
    [Benchmark(Description = "Floor: fast random id + timestamp + enqueue struct")]
    public bool PhysicalLimitFastId()
    {
        var entry = new ReportEntry { EventId = EventIds.Next(), TimestampTicks = DateTime.UtcNow.Ticks, Exception = _exceptions[_next++] };
        return _baselineQueue.TryEnqueue(in entry);
    }

    [Benchmark(Description = "ReportHandled(ex)")]
    public SentryEventId ReportHandled() => _reporter.ReportHandled(_exceptions[_next++]);

    [Benchmark(Description = "ReportMessage(\"text\")")]
    public SentryEventId ReportMessage() => _reporter.ReportMessage("text");

    [Benchmark(Description = "ReportHandled(ex) + 3 tags")]
    public SentryEventId ReportHandledWithTags()
        => _reporter.ReportHandled(_exceptions[_next++], context: new ReportContext { Tags = { ["tenant"] = "acme", ["region"] = "eu", ["tier"] = "gold" } });

    [Benchmark(Description = "ReportMessage(\"text\") + 3 tags")]
    public SentryEventId ReportMessageWithTags()
        => _reporter.ReportMessage("text", context: new ReportContext { Tags = { ["tenant"] = "acme", ["region"] = "eu", ["tier"] = "gold" } });

    [Benchmark(Description = "Caller's own 3-tag context (no report)")]
    public ReportContext CallersContextOnly() => new() { Tags = { ["tenant"] = "acme", ["region"] = "eu", ["tier"] = "gold" } };

    [Benchmark(Description = "ReportHandled(ex) via IErrorReporter from DI")]
    public SentryEventId ReportHandledFromDi() => _fromDi.ReportHandled(_exceptions[_next++]);

    [Benchmark(Description = "ReportHandled(ex), disabled reporter")]
    public SentryEventId ReportHandledDisabled() => _disabled.ReportHandled(_exceptions[_next++]);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Exception Thrown(int i)
    {
        try
        {
            throw new InvalidOperationException("benchmark");
        }
        catch (InvalidOperationException exception)
        {
            exception.HResult = i;
            return exception;
        }
    }
}
