using ErrorReporting.Delivery;

namespace ErrorReporting.Benchmarks;

/// <summary>A transport that accepts every envelope without sending it: the pipeline's cost without the network.</summary>
internal sealed class DiscardingTransport : IEnvelopeTransport
{
    private static readonly Task<TransportResponse> s_ok = Task.FromResult(new TransportResponse(200));

    public Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken) => s_ok;

    public void Dispose()
    {
    }
}
