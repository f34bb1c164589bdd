using System.Reflection;
using ErrorReporting.Delivery.Sending;
using ErrorReporting.Delivery.Store;
using Sentry.Extensibility;
using Sentry.Http;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery.Queue;

/// <summary>
/// The SDK's own last step before an envelope goes on the wire, through its public transport base class: it attaches
/// the client report of what the SDK discarded (sampled out, dropped by before-send or an event processor…) and drops
/// attachments over <see cref="SentryOptions.MaxAttachmentSize"/>. The intake calls it once per envelope, so that the
/// SDK's client report is cached and sent with the envelope. (The SDK's own rate limits stay empty: the server's
/// answers go to the engine's sender.)
/// </summary>
internal sealed class SdkEnvelopeProcessor(SentryOptions options) : HttpTransportBase(options)
{
    private readonly Lazy<Dictionary<string, object?>> _standaloneHeader = new(StandaloneHeaderFields);

    /// <summary>Gets the envelope to send in place of <paramref name="envelope"/>.</summary>
    public Envelope Process(Envelope envelope) => ProcessEnvelope(envelope);

    /// <summary>
    /// Gets the header line (without <c>sent_at</c>) of an envelope the engine sends on its own (client reports): the
    /// SDK's name and version, no event id.
    /// </summary>
    public byte[] StandaloneHeader(IDiagnosticLogger? sdkLogger)
    {
        using var buffer = new MemoryStream();
        new Envelope(_standaloneHeader.Value, []).SerializeAsync(buffer, sdkLogger).GetAwaiter().GetResult();
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        return EnvelopeFraming.WithoutSentAt(bytes[..bytes.IndexOf((byte)'\n')]);
    }

    /// <summary>Takes the SDK's pending client report as a serialized envelope, or <see langword="null"/> when it has none.</summary>
    public PendingEnvelope? TakeClientReport(IDiagnosticLogger? sdkLogger)
    {
        using var envelope = ProcessEnvelope(new Envelope(_standaloneHeader.Value, []));
        if (envelope.Items.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        return EnvelopeSerializer.Serialize(envelope, sequence: -1, EnvelopeSerializer.Categories(envelope), QueueLane.Errors, room: null, buffer, sdkLogger);
    }

    private static Dictionary<string, object?> StandaloneHeaderFields()
    {
        var version = typeof(SentrySdk).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? string.Empty;
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return new Dictionary<string, object?>
        {
            ["sdk"] = new Dictionary<string, string?> { ["name"] = "sentry.dotnet", ["version"] = plus >= 0 ? version[..plus] : version },
        };
    }
}
