using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// A received <c>client_report</c> item: what the client discarded, by reason and data category.
/// </summary>
public sealed class ReceivedClientReport
{
    private readonly ReceivedEnvelopeItem _item;

    internal ReceivedClientReport(ReceivedEnvelopeItem item, JsonElement json, ReceivedEnvelope envelope)
    {
        _item = item;
        Json = json;
        Envelope = envelope;
    }

    /// <summary>Gets the envelope the report came in.</summary>
    public ReceivedEnvelope Envelope { get; }

    /// <summary>Gets the report payload.</summary>
    public JsonElement Json { get; }

    /// <summary>Gets the report payload text as received.</summary>
    public string RawJson => _item.PayloadText;

    /// <summary>Gets <c>timestamp</c> as sent, or <see langword="null"/>.</summary>
    public string? Timestamp => JsonRead.StringOrRaw(Json, "timestamp");

    /// <summary>Gets <c>discarded_events</c>. Empty when absent.</summary>
    public IReadOnlyList<ReceivedDiscardedEvent> DiscardedEvents => JsonRead.Values(JsonRead.Property(Json, "discarded_events"))
        .Where(entry => entry.ValueKind == JsonValueKind.Object)
        .Select(entry => new ReceivedDiscardedEvent(JsonRead.String(entry, "reason"), JsonRead.String(entry, "category"), JsonRead.Int64(entry, "quantity") ?? 0))
        .ToArray();

    /// <summary>Sums the quantities discarded for a reason, optionally only for one category.</summary>
    /// <param name="reason">The discard reason (for example <c>queue_overflow</c>).</param>
    /// <param name="category">The data category (for example <c>error</c>), or <see langword="null"/> for all.</param>
    /// <returns>The total quantity.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is <see langword="null"/>.</exception>
    public long Quantity(string reason, string? category = null)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return DiscardedEvents
            .Where(entry => entry.Reason == reason && (category is null || entry.Category == category))
            .Sum(entry => entry.Quantity);
    }

    /// <inheritdoc />
    public override string ToString() => $"client report [{string.Join(", ", DiscardedEvents)}]";
}

/// <summary>
/// One entry of a client report's <c>discarded_events</c>.
/// </summary>
/// <param name="Reason">The discard reason (for example <c>queue_overflow</c>, <c>ratelimit_backoff</c>), or <see langword="null"/>.</param>
/// <param name="Category">The data category (for example <c>error</c>), or <see langword="null"/>.</param>
/// <param name="Quantity">How many were discarded (0 when missing or not an integer).</param>
public sealed record ReceivedDiscardedEvent(string? Reason, string? Category, long Quantity)
{
    /// <inheritdoc />
    public override string ToString() => $"{Reason}/{Category}: {Quantity}";
}
