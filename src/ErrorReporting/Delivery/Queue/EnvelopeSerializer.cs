using System.Text.Json;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Sending;
using ErrorReporting.Delivery.Store;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery.Queue;

/// <summary>Turns an SDK envelope into a <see cref="PendingEnvelope"/>: the SDK's serialization, then the header without <c>sent_at</c>.</summary>
internal static class EnvelopeSerializer
{
    /// <exception cref="JsonException">The SDK wrote no header line or none of the items.</exception>
    public static PendingEnvelope Serialize(Envelope envelope, long sequence, string[] categories, QueueLane lane, QueueRoom? room, MemoryStream buffer, IDiagnosticLogger? sdkLogger)
    {
        buffer.SetLength(0);
        envelope.SerializeAsync(buffer, sdkLogger, CancellationToken.None).GetAwaiter().GetResult();
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var headerEnd = bytes.IndexOf((byte)'\n');
        if (headerEnd < 0)
        {
            throw new JsonException("The SDK wrote no envelope header line.");
        }

        var items = bytes[(headerEnd + 1)..];
        if (items.IsEmpty)
        {
            throw new JsonException("The SDK serialized none of the envelope's items.");
        }

        return new PendingEnvelope(sequence, envelope.TryGetEventId() ?? SentryId.Empty, categories, lane, room, EnvelopeFraming.WithoutSentAt(bytes[..headerEnd]), items);
    }

    /// <summary>Gets the data categories of the envelope's items, one per item.</summary>
    public static string[] Categories(Envelope envelope)
    {
        var categories = new string[envelope.Items.Count];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = DataCategories.FromItemType(envelope.Items[i].TryGetType());
        }

        return categories;
    }
}
