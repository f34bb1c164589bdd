using System.IO.Compression;
using ErrorReporting.Delivery.Http;
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
/// rows: its background worker hands every envelope here, which serializes and gzips it as the SDK's HTTP transport
/// does before sending, then drops it. So both sides of a side-by-side row have the same work on their worker thread
/// (ErrorReporting's engine serializes, frames and gzips each event), and the caller's thread of each competes with it
/// for the same cores.
/// </summary>
internal sealed class DiscardingSdkTransport(CompressionLevel compression) : ITransport
{
    public async Task SendEnvelopeAsync(Envelope envelope, CancellationToken cancellationToken = default)
    {
        using (envelope)
        {
            await using var gzip = new GZipStream(Stream.Null, compression);
            await envelope.SerializeAsync(gzip, logger: null, cancellationToken).ConfigureAwait(false);
        }
    }
}
