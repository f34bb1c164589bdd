using System.Collections.Concurrent;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// The real SDK (a non-global <see cref="SentryClient"/>: no hub, no integrations, so tests can run in parallel) with
/// ErrorReporting's delivery engine as its background worker, sending through a scripted transport (our own seam)
/// that records every attempt.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private EngineHarness(SentryClient client, DeliveryEngine engine, ScriptedTransport? transport, ListLoggerProvider logs, ILoggerFactory loggerFactory)
    {
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

    public DeliveryCounters Counters => Engine.Counters ?? throw new InvalidOperationException("The engine has not started.");

    private ILoggerFactory LoggerFactory { get; }

    /// <summary>Creates the harness; <paramref name="respond"/> answers each attempt (default: 200).</summary>
    public static EngineHarness Create(Func<TransportAttempt, Task<TransportResponse>>? respond = null, Action<ErrorReportingOptions>? configure = null)
        => Create("https://0123456789abcdef0123456789abcdef@sentry.invalid/42", new ScriptedTransport(respond ?? (_ => Task.FromResult(new TransportResponse(200)))), configure);

    /// <summary>Creates the harness sending over real HTTP (the engine's own transport) to <paramref name="dsn"/>.</summary>
    public static EngineHarness ForDsn(string dsn, Action<ErrorReportingOptions>? configure = null) => Create(dsn, transport: null, configure);

    private static EngineHarness Create(string dsn, ScriptedTransport? transport, Action<ErrorReportingOptions>? configure)
    {
        var logs = new ListLoggerProvider();
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ErrorReportingOptions { Dsn = dsn, Release = "engine@1.0.0", Environment = "test" };
        configure?.Invoke(options);
        var engine = new DeliveryEngine(options, loggerFactory, transportFactory: transport is null ? null : _ => transport);
        options.BackgroundWorker = engine;
        var client = new SentryClient(options);

        // As the SDK's hub does when it is initialised with these options.
        engine.Start();
        return new EngineHarness(client, engine, transport, logs, loggerFactory);
    }

    /// <summary>Creates the harness answering synchronously.</summary>
    public static EngineHarness Create(Func<TransportAttempt, TransportResponse> respond, Action<ErrorReportingOptions>? configure = null)
        => Create(attempt => Task.FromResult(respond(attempt)), configure);

    public SentryId Message(string text) => Client.CaptureMessage(text);

    /// <summary>Starts the engine without capturing anything (its counters and meter exist from then on).</summary>
    public void Start() => Engine.Start();

    public async Task FlushAsync() => Assert.True(await Engine.FlushAsync(Timeout, CancellationToken.None), "The engine did not flush within 30 s.");

    public ValueTask DisposeAsync()
    {
        Engine.Dispose();
        LoggerFactory.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One send attempt: when, and the (uncompressed) envelope bytes.</summary>
internal sealed record TransportAttempt(DateTimeOffset At, byte[] Bytes)
{
    public TestEnvelope Envelope { get; } = TestEnvelope.Parse(Bytes);
}

/// <summary>A transport that answers with a script and records every attempt.</summary>
internal sealed class ScriptedTransport(Func<TransportAttempt, Task<TransportResponse>> respond) : IEnvelopeTransport
{
    private readonly ConcurrentQueue<TransportAttempt> _attempts = new();

    public IReadOnlyList<TransportAttempt> Attempts => [.. _attempts];

    public Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken)
    {
        var attempt = new TransportAttempt(DateTimeOffset.UtcNow, envelope.ToArray());
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
