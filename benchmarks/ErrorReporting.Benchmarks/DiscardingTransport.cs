using ErrorReporting.Delivery;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// ErrorReporting's transport seam with nothing behind it: every envelope is accepted (HTTP 200) without being sent.
/// The delivery engine still serializes each event on its worker thread and frames it in its sender.
/// </summary>
internal sealed class DiscardingTransport : IEnvelopeTransport
{
    private static readonly Task<TransportResponse> s_ok = Task.FromResult(new TransportResponse(200));

    public Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken) => s_ok;

    public void Dispose()
    {
    }
}

/// <summary>
/// The SDK's public transport seam (<see cref="SentryOptions.Transport"/>) with nothing behind it, for the SDK's own
/// rows: its background worker hands every envelope here, and it is dropped unserialized.
/// </summary>
internal sealed class DiscardingSdkTransport : ITransport
{
    public Task SendEnvelopeAsync(Envelope envelope, CancellationToken cancellationToken = default)
    {
        envelope.Dispose();
        return Task.CompletedTask;
    }
}
