using System.Collections.Concurrent;
using ErrorReporting.Delivery;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// The real SDK (a non-global <see cref="SentryClient"/>: no hub, no integrations, so tests can run in parallel) with
/// ErrorReporting's delivery engine as its background worker, sending through a scripted transport (our own seam)
/// that records every attempt. With a <see cref="FakeTimeProvider"/>, the engine's delays (retries, the backlog's pace,
/// rate limits, client reports) pass only when the test advances it.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private EngineHarness(SentryClient client, DeliveryEngine engine, ScriptedTransport? transport, ListLoggerProvider logs, ILoggerFactory loggerFactory, FakeTimeProvider? time)
    {
        FakeTime = time;
        Client = client;
        Engine = engine;
        TransportOrNull = transport;
        Logs = logs;
        LoggerFactory = loggerFactory;
    }

    public SentryClient Client { get; }

    public DeliveryEngine Engine { get; }

    public ScriptedTransport Transport => TransportOrNull ?? throw new InvalidOperationException("This harness sends over HTTP.");

    public ScriptedTransport? TransportOrNull { get; }

    public ListLoggerProvider Logs { get; }

    public DeliveryCounters Counters => Engine.Counters;

    /// <summary>Gets the fake clock, when the harness has one.</summary>
    public FakeTimeProvider? FakeTime { get; }

    /// <summary>Gets the running pipeline.</summary>
    public DeliveryPipeline Pipeline => Engine.Pipeline ?? throw new InvalidOperationException("The engine has not started.");

    private ILoggerFactory LoggerFactory { get; }

    /// <summary>Creates the harness; <paramref name="respond"/> answers each attempt (default: 200).</summary>
    public static EngineHarness Create(Func<TransportAttempt, Task<TransportResponse>>? respond = null, Action<ErrorReportingOptions>? configure = null, FakeTimeProvider? time = null)
        => Create("https://0123456789abcdef0123456789abcdef@sentry.invalid/42", respond ?? (_ => Task.FromResult(new TransportResponse(200))), configure, time);

    /// <summary>Creates the harness answering synchronously.</summary>
    public static EngineHarness Create(Func<TransportAttempt, TransportResponse> respond, Action<ErrorReportingOptions>? configure = null, FakeTimeProvider? time = null)
        => Create(attempt => Task.FromResult(respond(attempt)), configure, time);

    /// <summary>Creates the harness sending over real HTTP (the engine's own transport) to <paramref name="dsn"/>.</summary>
    public static EngineHarness ForDsn(string dsn, Action<ErrorReportingOptions>? configure = null, FakeTimeProvider? time = null) => Create(dsn, respond: null, configure, time);

    private static EngineHarness Create(string dsn, Func<TransportAttempt, Task<TransportResponse>>? respond, Action<ErrorReportingOptions>? configure, FakeTimeProvider? time)
    {
        var logs = new ListLoggerProvider();
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ErrorReportingOptions { Dsn = dsn, Release = "engine@1.0.0", Environment = "test" };
        configure?.Invoke(options);
        var transport = respond is null ? null : new ScriptedTransport(respond, time ?? TimeProvider.System);
        var engine = new DeliveryEngine(options, loggerFactory, time: time, random: new Random(42), transportFactory: transport is null ? null : () => transport);
        options.BackgroundWorker = engine;
        var client = new SentryClient(options);

        // As the SDK's hub does when it is initialised with these options.
        engine.Start();
        return new EngineHarness(client, engine, transport, logs, loggerFactory, time);
    }

    public SentryId Message(string text) => Client.CaptureMessage(text);

    /// <summary>Starts the engine without capturing anything (its counters and meter exist from then on).</summary>
    public void Start() => Engine.Start();

    /// <summary>Flushes and asserts it succeeded within 30 s of real time (whatever the engine's clock).</summary>
    public async Task FlushAsync()
    {
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            Assert.True(await Engine.FlushAsync(System.Threading.Timeout.InfiniteTimeSpan, deadline.Token), "The engine stopped before it flushed.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail("The engine did not flush within 30 s. Its log:\n" + string.Join("\n", Logs.Messages.TakeLast(30)));
        }
    }

    /// <summary>Waits until the transport has seen <paramref name="count"/> attempts.</summary>
    public Task<IReadOnlyList<TransportAttempt>> WaitForAttemptsAsync(int count)
        => Wait.ForAsync(() => Transport.Attempts is { } attempts && attempts.Count >= count ? attempts : null, $"{count} send attempt(s)");

    /// <summary>
    /// With the fake clock: waits until the sender has set a time to look again (a retry, the backlog's pace, the end of
    /// a rate limit) later than now, and returns it without advancing.
    /// </summary>
    public async Task<DateTimeOffset> NextLookAsync()
    {
        var time = FakeTime ?? throw new InvalidOperationException("This harness has no fake clock.");
        return await Wait.ForAsync(() => Pipeline.Sender.NextLook is { } at && at > time.GetUtcNow() ? at : (DateTimeOffset?)null, "the sender to schedule its next look");
    }

    /// <summary>With the fake clock: advances it to the sender's next look and returns that time.</summary>
    public async Task<DateTimeOffset> AdvanceToNextLookAsync()
    {
        var at = await NextLookAsync();
        FakeTime!.SetUtcNow(at);
        return at;
    }

    public ValueTask DisposeAsync()
    {
        Engine.Dispose();
        LoggerFactory.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One send attempt: when (by the engine's clock), and the (uncompressed) envelope bytes.</summary>
internal sealed record TransportAttempt(DateTimeOffset At, byte[] Bytes)
{
    public TestEnvelope Envelope { get; } = TestEnvelope.Parse(Bytes);
}

/// <summary>A transport that answers with a script and records every attempt.</summary>
internal sealed class ScriptedTransport(Func<TransportAttempt, Task<TransportResponse>> respond, TimeProvider time) : IEnvelopeTransport
{
    private readonly ConcurrentQueue<TransportAttempt> _attempts = new();

    public IReadOnlyList<TransportAttempt> Attempts => [.. _attempts];

    public Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        var attempt = new TransportAttempt(time.GetUtcNow(), envelope.ToArray());
        _attempts.Enqueue(attempt);
        return respond(attempt);
    }

    public void Dispose()
    {
    }
}

/// <summary>Hands out scripted responses in order, then 200s.</summary>
internal sealed class ResponseScript(params TransportResponse[] responses)
{
    private readonly Queue<TransportResponse> _responses = new(responses);

    public TransportResponse Next(TransportAttempt attempt)
    {
        lock (_responses)
        {
            return _responses.TryDequeue(out var response) ? response : new TransportResponse(200);
        }
    }
}
