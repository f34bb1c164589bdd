using System.Runtime.CompilerServices;
using ErrorReporting.Benchmarks;
using ErrorReporting.Delivery;
using ErrorReporting.Delivery.Http;
using ErrorReporting.Processors;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ErrorReporting.Tests.Performance;

/// <summary>
/// Proof 3: what one report allocates on the caller's thread, through ErrorReporting as an application registers it
/// (the real SDK and its processing, the delivery engine over a transport that discards), after a warm-up.
/// </summary>
/// <remarks>
/// Counted with <see cref="GC.GetAllocatedBytesForCurrentThread"/> around <see cref="Calls"/> reports, so the worker
/// thread's serialization is not counted. Deterministic except for amortized one-off allocations (a
/// <see cref="ConditionalWeakTable{TKey,TValue}"/> or a cache growing, the SDK's breadcrumb queue filling to 100):
/// the smallest of <see cref="Rounds"/> rounds is taken, which such a step can only raise. No time is measured here.
/// The process-global SDK is initialised, so these tests run in the SDK's non-parallel collection and close it.
/// </remarks>
[Collection(SharedSentrySdk.Name)]
public sealed class CallerAllocationTests(ITestOutputHelper output)
{
    private const int Calls = 200;
    private const int Rounds = 5;
    private const string Dsn = "https://0123456789abcdef0123456789abcdef@sentry.invalid/1";

    [Fact]
    public void ReportHandled_AfterWarmUp_AllocatesAtMost32KBBesideTheSdksStackTraceText()
    {
        using var reporting = Reporting.Start();

        var perReport = MinimumBytesPerCall(e => reporting.Reporter.ReportHandled(e), reporting.Flush);
        var stackTraceText = MinimumBytesPerPart(e => e.StackTrace);
        output.WriteLine($"ReportHandled: {perReport:0} B per report on the caller's thread, of which Exception.StackTrace {stackTraceText:0} B");

        // The SDK's main event processor formats Exception.StackTrace (file and line of every frame) only to test it
        // for null; no public API avoids it (benchmarks/README.md, "What an exception event costs"). The rest is the
        // SDK's processing with ErrorReporting's parts.
        Assert.InRange(stackTraceText, 4 * 1024, 64 * 1024);
        Assert.InRange(perReport - stackTraceText, 1024, 32 * 1024);
        Assert.InRange(perReport, 1024, 64 * 1024);
    }

    [Fact]
    public void ReportMessage_AfterWarmUp_AllocatesAtMost8KBBesideTheModulesList()
    {
        using var reporting = Reporting.Start();

        var perReport = MinimumBytesPerCall(_ => reporting.Reporter.ReportMessage("Cache warmed in 42 ms"), reporting.Flush);
        var modules = new ModulesProcessor(ReportAssembliesMode.Version);
        var modulesList = MinimumBytesPerPart(_ => modules.Process(new SentryEvent())) - MinimumBytesPerPart(_ => new SentryEvent());
        output.WriteLine($"ReportMessage: {perReport:0} B per report on the caller's thread, of which the modules list {modulesList:0} B ({AppDomain.CurrentDomain.GetAssemblies().Length} assemblies loaded)");

        // Every event carries the name and version of every loaded assembly, copied into its own dictionary (about
        // 34 bytes an assembly: 2.6 KB for the 77 of this test host); the SDK's event has no way to share one.
        Assert.InRange(modulesList, 1, 16 * 1024);
        Assert.InRange(perReport - modulesList, 512, 8 * 1024);
    }

    [Fact]
    public void ReportHandled_Disabled_AllocatesNothing()
    {
        using var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = string.Empty).BuildServiceProvider();
        var reporter = provider.GetRequiredService<IErrorReporter>();
        Assert.False(reporter.IsEnabled);

        var perHandled = MinimumBytesPerCall(e => reporter.ReportHandled(e), () => { }, accepted: false);
        var perMessage = MinimumBytesPerCall(_ => reporter.ReportMessage("text"), () => { }, accepted: false);

        Assert.Equal(0, perHandled);
        Assert.Equal(0, perMessage);
        Assert.False(SentrySdk.IsEnabled);
    }

    /// <summary>
    /// The smallest caller-thread bytes per report over the rounds, after one warm-up round, with fresh exceptions
    /// each round; checks that every report was accepted (or, disabled, none).
    /// </summary>
    private static double MinimumBytesPerCall(Func<Exception, SentryId> report, Action afterRound, bool accepted = true)
    {
        var minimum = double.MaxValue;
        var ids = new SentryId[Calls];
        for (var round = -1; round < Rounds; round++)
        {
            var exceptions = SampleExceptions.Many(Calls);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                ids[i] = report(exceptions[i]);
            }

            var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
            afterRound();
            Assert.Equal(accepted ? 0 : Calls, ids.Count(id => id == SentryId.Empty));
            minimum = round >= 0 ? Math.Min(minimum, bytes) : minimum;
        }

        return minimum;
    }

    /// <summary>The same for one part of a report, measured alone.</summary>
    private static double MinimumBytesPerPart(Func<Exception, object?> part)
    {
        var minimum = double.MaxValue;
        var results = new object?[Calls];
        for (var round = -1; round < Rounds; round++)
        {
            var exceptions = SampleExceptions.Many(Calls);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                results[i] = part(exceptions[i]);
            }

            var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
            minimum = round >= 0 ? Math.Min(minimum, bytes) : minimum;
        }

        return minimum;
    }

    /// <summary>ErrorReporting with its delivery engine over a transport that discards; disposing closes the SDK.</summary>
    private sealed class Reporting : IDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly DeliveryEngine _engine;

        private Reporting(ServiceProvider provider, IErrorReporter reporter, DeliveryEngine engine)
        {
            _provider = provider;
            _engine = engine;
            Reporter = reporter;
        }

        public IErrorReporter Reporter { get; }

        public static Reporting Start()
        {
            DeliveryEngine? engine = null;
            var provider = new ServiceCollection()
                .AddErrorReporting(options =>
                {
                    options.Dsn = Dsn;
                    options.MaxQueueItems = 4 * Calls;
                    engine = new DeliveryEngine(options, transportFactory: () => new DiscardingTransport());
                    options.BackgroundWorker = engine;
                    options.AddIntegration(new DeliveryIntegration(engine));
                })
                .BuildServiceProvider();
            try
            {
                var reporter = provider.GetRequiredService<IErrorReporter>();
                Assert.True(reporter.IsEnabled);
                return new Reporting(provider, reporter, engine ?? throw new InvalidOperationException("The options were not configured."));
            }
            catch
            {
                provider.Dispose();
                SentrySdk.Close();
                throw;
            }
        }

        public void Flush() => Assert.True(Reporter.FlushAsync(TimeSpan.FromSeconds(30)).AsTask().GetAwaiter().GetResult(), "The engine did not drain within 30 s.");

        public void Dispose()
        {
            try
            {
                _provider.Dispose();
                _engine.Dispose();
            }
            finally
            {
                SentrySdk.Close();
            }
        }
    }

    private sealed class DiscardingTransport : IEnvelopeTransport
    {
        public Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken) => Task.FromResult(new TransportResponse(200));

        public void Dispose()
        {
        }
    }
}
