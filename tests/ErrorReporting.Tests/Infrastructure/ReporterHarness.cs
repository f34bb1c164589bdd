using System.Collections.Concurrent;
using ErrorReporting.Delivery;
using ErrorReporting.Reporting;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// A reporter built through DI whose transport is an NSubstitute substitute: the seam between the reporter and the
/// network. Every envelope handed to the transport is copied and can be parsed.
/// </summary>
internal sealed class ReporterHarness : IAsyncDisposable
{
    public const string Dsn = "https://0123456789abcdef0123456789abcdef@sentry.invalid/42";

    private readonly ServiceProvider _provider;
    private readonly ConcurrentQueue<byte[]> _sent = new();
    private readonly ConcurrentQueue<DateTimeOffset> _attempts = new();

    private ReporterHarness(Action<ErrorReportingOptions>? configure, Func<byte[], Task<TransportResponse>>? respond, ListLoggerProvider? logs)
    {
        Transport = Substitute.For<IEnvelopeTransport>();
        Transport.SendAsync(Arg.Any<ReadOnlyMemory<byte>>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            var bytes = call.Arg<ReadOnlyMemory<byte>>().ToArray();
            _attempts.Enqueue(DateTimeOffset.UtcNow);
            _sent.Enqueue(bytes);
            return respond?.Invoke(bytes) ?? Task.FromResult(new TransportResponse(200));
        });

        _provider = TestReporters.Build(Dsn, configure, logs, Transport);
        Reporter = _provider.GetRequiredService<IErrorReporter>();
    }

    public IErrorReporter Reporter { get; }

    public ErrorReporter Enabled => (ErrorReporter)Reporter;

    public IEnvelopeTransport Transport { get; }

    public IReadOnlyList<byte[]> SentBytes => [.. _sent];

    /// <summary>Gets when each send attempt reached the transport.</summary>
    public IReadOnlyList<DateTimeOffset> AttemptTimes => [.. _attempts];

    public IReadOnlyList<TestEnvelope> Sent => [.. _sent.Select(TestEnvelope.Parse)];

    public IReadOnlyList<TestEnvelope> SentEvents => [.. Sent.Where(e => e.Event is not null)];

    public static ReporterHarness Create(Action<ErrorReportingOptions>? configure = null, Func<byte[], TransportResponse>? respond = null, ListLoggerProvider? logs = null)
        => new(configure, respond is null ? null : bytes => Task.FromResult(respond(bytes)), logs);

    /// <summary>Creates a harness whose transport answers asynchronously (so that sends can overlap).</summary>
    public static ReporterHarness CreateAsync(Func<byte[], Task<TransportResponse>> respond, Action<ErrorReportingOptions>? configure = null)
        => new(configure, respond, null);

    /// <summary>Flushes (bounded) and asserts that the flush completed.</summary>
    public async Task FlushAsync()
        => Assert.True(await Reporter.FlushAsync(TimeSpan.FromSeconds(30)), "The reporter did not flush within 30 s.");

    /// <summary>Reports through <paramref name="report"/>, flushes, and returns the single event sent with its id.</summary>
    public async Task<(SentryEventId Id, TestEnvelope Envelope)> ReportOneAsync(Func<IErrorReporter, SentryEventId> report)
    {
        var id = report(Reporter);
        await FlushAsync();
        var envelope = Assert.Single(SentEvents);
        return (id, envelope);
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
