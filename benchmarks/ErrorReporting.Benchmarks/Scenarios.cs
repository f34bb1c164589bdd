using System.Collections.Concurrent;
using ErrorReporting.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The set-ups compared side by side, shared by the micro-benchmarks and the <c>profile</c> mode: the SDK as
/// <c>SentrySdk.Init</c> leaves it (its own background worker, a transport that discards), ErrorReporting as an
/// application registers it (its delivery engine over a transport that discards), and the floor. Each initialises
/// the process-global SDK, so a process holds one at a time (BenchmarkDotNet runs each benchmark in its own process).
/// </summary>
internal sealed class Scenario : IDisposable
{
    /// <summary>A DSN whose host is never contacted: both transports discard.</summary>
    public const string Dsn = "https://0123456789abcdef0123456789abcdef@sentry.invalid/1";

    /// <summary>The message every message benchmark reports.</summary>
    public const string MessageText = "Cache warmed in 42 ms";

    private readonly Action _flush;
    private readonly IDisposable[] _owned;

    private Scenario(string name, Func<Exception, SentryId> reportException, Func<string, SentryId> reportMessage, Action flush, params IDisposable[] owned)
    {
        Name = name;
        ReportException = reportException;
        ReportMessage = reportMessage;
        _flush = flush;
        _owned = owned;
    }

    public string Name { get; }

    public Func<Exception, SentryId> ReportException { get; }

    public Func<string, SentryId> ReportMessage { get; }

    public static IReadOnlyList<string> Names { get; } = ["sdk", "sdk-original", "errorreporting", "floor"];

    public static Scenario Create(string name, int queueCapacity) => name switch
    {
        "sdk" => Sdk(StackTraceMode.Enhanced, queueCapacity),
        "sdk-original" => Sdk(StackTraceMode.Original, queueCapacity),
        "errorreporting" => ErrorReporting(queueCapacity),
        "floor" => Floor(),
        _ => throw new ArgumentException($"Unknown scenario '{name}'. Scenarios: {string.Join(", ", Names)}."),
    };

    /// <summary>
    /// <c>SentrySdk.Init</c> with the SDK's defaults but two: a transport that serializes, gzips and discards (its
    /// background worker hands it every envelope) and a queue large enough that no capture of an iteration is dropped.
    /// </summary>
    public static Scenario Sdk(StackTraceMode mode, int queueCapacity)
    {
        var sdk = SentrySdk.Init(options =>
        {
            options.Dsn = Dsn;
            options.Transport = new DiscardingSdkTransport(options.RequestBodyCompressionLevel);
            options.MaxQueueItems = queueCapacity;
            options.StackTraceMode = mode;
        });
        return new Scenario(
            mode == StackTraceMode.Enhanced ? "sdk" : "sdk-original",
            static exception => SentrySdk.CaptureException(exception),
            static message => SentrySdk.CaptureMessage(message),
            static () => Flushed(SentrySdk.FlushAsync(TimeSpan.FromMinutes(1))),
            sdk);
    }

    /// <summary>
    /// ErrorReporting as an application gets it (<c>AddErrorReporting</c>, <see cref="IErrorReporter"/> from the
    /// container, the SDK initialised by it with ErrorReporting's options and processors), with its delivery engine
    /// built over a transport that discards: the engine's worker thread still serializes every event.
    /// </summary>
    public static Scenario ErrorReporting(int queueCapacity, Action<ErrorReportingOptions>? configure = null)
    {
        DeliveryEngine? engine = null;
        var provider = new ServiceCollection()
            .AddErrorReporting(options =>
            {
                options.Dsn = Dsn;
                options.MaxQueueItems = queueCapacity;

                // What SentryOptionsDefaults.Apply installs, with the transport seam set.
                engine = new DeliveryEngine(options, transportFactory: () => new DiscardingTransport());
                options.BackgroundWorker = engine;
                options.AddIntegration(new DeliveryIntegration(engine));
                configure?.Invoke(options);
            })
            .BuildServiceProvider();
        var reporter = provider.GetRequiredService<IErrorReporter>();
        if (!reporter.IsEnabled || engine is null)
        {
            throw new InvalidOperationException("ErrorReporting did not initialise the SDK.");
        }

        return new Scenario(
            "errorreporting",
            exception => reporter.ReportHandled(exception),
            message => reporter.ReportMessage(message),
            () => Flushed(reporter.FlushAsync(TimeSpan.FromMinutes(1)).AsTask()),
            provider,
            engine,
            new SdkClose());
    }

    /// <summary>The floor: the SDK's event object and an enqueue onto a lock-free queue, emptied at each flush.</summary>
    public static Scenario Floor()
    {
        var queue = new ConcurrentQueue<SentryEvent>();
        return new Scenario(
            "floor",
            exception =>
            {
                var sentryEvent = new SentryEvent(exception);
                queue.Enqueue(sentryEvent);
                return sentryEvent.EventId;
            },
            message =>
            {
                var sentryEvent = new SentryEvent { Message = message, Level = SentryLevel.Info };
                queue.Enqueue(sentryEvent);
                return sentryEvent.EventId;
            },
            () => queue.Clear());
    }

    /// <summary>Waits until everything reported so far has left the caller's side (drained by the worker, or the floor's queue emptied).</summary>
    public void Flush() => _flush();

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    private static void Flushed(Task task)
    {
        if (!task.Wait(TimeSpan.FromMinutes(2)))
        {
            throw new InvalidOperationException("The worker did not drain within two minutes.");
        }
    }

    private static void Flushed(Task<bool> task)
    {
        if (!task.Wait(TimeSpan.FromMinutes(2)) || !task.Result)
        {
            throw new InvalidOperationException("The worker did not drain within two minutes.");
        }
    }

    private sealed class SdkClose : IDisposable
    {
        public void Dispose() => SentrySdk.Close();
    }
}
