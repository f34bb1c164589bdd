using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// Proof 1: the cost of one capture on the caller's thread, side by side, the SDK's processing and scope intact.
/// Each benchmark is one call (the disabled rows: 1,000 calls per invocation) with a fresh exception thrown ten calls
/// deep before the iteration (11 frames; throwing is not measured, and the same object twice would be deduplicated).
/// Each iteration makes <see cref="Calls"/> captures, then waits for the worker to drain, so every measured capture is
/// accepted. The ratio is to the SDK's <c>SentrySdk.CaptureException</c> (or <c>CaptureMessage</c>) with defaults.
/// </summary>
/// <remarks>
/// BenchmarkDotNet's <c>Allocated</c> counts every thread, so for ErrorReporting it includes the delivery engine's
/// worker serializing the events (the SDK's rows have a discarding transport that serializes nothing). The
/// <c>Caller alloc</c> column is what the caller's thread itself allocated per call
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/> around each iteration; the median of the iterations after the
/// first half, which holds the warm-up).
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[InvocationCount(Calls)]
[MinIterationCount(15)]
[MaxIterationCount(30)]
[Config(typeof(CallerThreadConfig))]
public class CaptureBenchmarks
{
    /// <summary>Captures per iteration (each with its own exception).</summary>
    public const int Calls = 2048;

    private const int DisabledCallsPerInvocation = 1000;

    private readonly List<double> _callerBytesPerCall = [];
    private Scenario? _scenario;
    private IErrorReporter _disabled = null!;
    private Exception[] _exceptions = [];
    private int _next;
    private long _allocatedBefore;
    private int _callsPerInvocation = 1;

    [GlobalSetup(Targets = [nameof(SdkCaptureException), nameof(SdkCaptureMessage)])]
    public void SetupSdkDefaults() => _scenario = Scenario.Sdk(StackTraceMode.Enhanced, 4 * Calls);

    [GlobalSetup(Targets = [nameof(SdkCaptureExceptionOriginal), nameof(SdkCaptureMessageOriginal)])]
    public void SetupSdkOriginal() => _scenario = Scenario.Sdk(StackTraceMode.Original, 4 * Calls);

    [GlobalSetup(Targets = [nameof(ReportHandled), nameof(ReportMessage)])]
    public void SetupErrorReporting() => _scenario = Scenario.ErrorReporting(4 * Calls);

    [GlobalSetup(Targets = [nameof(FloorException), nameof(FloorMessage)])]
    public void SetupFloor() => _scenario = Scenario.Floor();

    [GlobalSetup(Targets = [nameof(ReportHandledDisabled), nameof(SdkCaptureExceptionDisabled)])]
    public void SetupDisabled()
    {
        _disabled = new ServiceCollection()
            .AddErrorReporting(o => o.Dsn = string.Empty)
            .BuildServiceProvider()
            .GetRequiredService<IErrorReporter>();
        if (_disabled.IsEnabled || SentrySdk.IsEnabled)
        {
            throw new InvalidOperationException("The disabled rows need a disabled reporter and an uninitialised SDK.");
        }

        _callsPerInvocation = DisabledCallsPerInvocation;
    }

    [IterationSetup]
    public void IterationSetup()
    {
        _exceptions = SampleExceptions.Many(Calls);
        _next = 0;
        _allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        _callerBytesPerCall.Add((GC.GetAllocatedBytesForCurrentThread() - _allocatedBefore) / (double)(Calls * _callsPerInvocation));
        _scenario?.Flush();
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        // Read by CallerThreadAllocatedColumn from this process's output.
        var steady = _callerBytesPerCall.Skip(_callerBytesPerCall.Count / 2).Order().ToArray();
        if (steady.Length > 0)
        {
            Console.WriteLine(CallerThreadAllocatedColumn.Marker + steady[steady.Length / 2].ToString("0.#", CultureInfo.InvariantCulture));
        }

        _scenario?.Dispose();
    }

    [BenchmarkCategory("exception"), Benchmark(Baseline = true, Description = "SentrySdk.CaptureException(ex), defaults")]
    public SentryId SdkCaptureException() => SentrySdk.CaptureException(_exceptions[_next++]);

    [BenchmarkCategory("exception"), Benchmark(Description = "SentrySdk.CaptureException(ex), StackTraceMode.Original")]
    public SentryId SdkCaptureExceptionOriginal() => SentrySdk.CaptureException(_exceptions[_next++]);

    [BenchmarkCategory("exception"), Benchmark(Description = "IErrorReporter.ReportHandled(ex)")]
    public SentryId ReportHandled() => _scenario!.ReportException(_exceptions[_next++]);

    [BenchmarkCategory("exception"), Benchmark(Description = "floor: new SentryEvent(ex) + enqueue")]
    public SentryId FloorException() => _scenario!.ReportException(_exceptions[_next++]);

    [BenchmarkCategory("message"), Benchmark(Baseline = true, Description = "SentrySdk.CaptureMessage(text), defaults")]
    public SentryId SdkCaptureMessage() => SentrySdk.CaptureMessage(Scenario.MessageText);

    [BenchmarkCategory("message"), Benchmark(Description = "SentrySdk.CaptureMessage(text), StackTraceMode.Original")]
    public SentryId SdkCaptureMessageOriginal() => SentrySdk.CaptureMessage(Scenario.MessageText);

    [BenchmarkCategory("message"), Benchmark(Description = "IErrorReporter.ReportMessage(text)")]
    public SentryId ReportMessage() => _scenario!.ReportMessage(Scenario.MessageText);

    [BenchmarkCategory("message"), Benchmark(Description = "floor: new SentryEvent { Message } + enqueue")]
    public SentryId FloorMessage() => _scenario!.ReportMessage(Scenario.MessageText);

    [BenchmarkCategory("disabled"), Benchmark(Baseline = true, OperationsPerInvoke = DisabledCallsPerInvocation, Description = "SentrySdk.CaptureException(ex), SDK not initialised")]
    public SentryId SdkCaptureExceptionDisabled()
    {
        var id = SentryId.Empty;
        var exceptions = _exceptions;
        for (var i = 0; i < DisabledCallsPerInvocation; i++)
        {
            id = SentrySdk.CaptureException(exceptions[i]);
        }

        return id;
    }

    [BenchmarkCategory("disabled"), Benchmark(OperationsPerInvoke = DisabledCallsPerInvocation, Description = "IErrorReporter.ReportHandled(ex), disabled (no DSN)")]
    public SentryId ReportHandledDisabled()
    {
        var id = SentryId.Empty;
        var exceptions = _exceptions;
        var reporter = _disabled;
        for (var i = 0; i < DisabledCallsPerInvocation; i++)
        {
            id = reporter.ReportHandled(exceptions[i]);
        }

        return id;
    }
}
