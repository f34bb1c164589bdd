using Sentry.Http;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// The SDK's own last step before an envelope goes on the wire, through its public transport base class: it attaches
/// the client report of what the SDK discarded (sampled out, dropped by before-send or an event processor…) and drops
/// attachments over <see cref="SentryOptions.MaxAttachmentSize"/>. The engine calls it once per envelope, on intake,
/// so that the SDK's client report is cached and sent with the envelope. (Rate-limited items are never dropped here:
/// the engine feeds the server's rate limits to its own sender, which holds such envelopes back instead.)
/// </summary>
internal sealed class SdkEnvelopeProcessor(SentryOptions options) : HttpTransportBase(options)
{
    private static readonly IReadOnlyDictionary<string, object?> s_noHeader = new Dictionary<string, object?>();

    /// <summary>Gets the envelope to send in place of <paramref name="envelope"/>.</summary>
    public Envelope Process(Envelope envelope) => ProcessEnvelope(envelope);

    /// <summary>Gets an envelope holding only the SDK's pending client report, or <see langword="null"/> when it has none.</summary>
    public Envelope? TakeClientReport(IReadOnlyDictionary<string, object?>? header)
    {
        var processed = ProcessEnvelope(new Envelope(header ?? s_noHeader, []));
        return processed.Items.Count > 0 ? processed : null;
    }
}
