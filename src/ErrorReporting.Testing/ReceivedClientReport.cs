namespace ErrorReporting.Testing;

/// <summary>A received <c>client_report</c> item: what the client discarded, by reason and data category.</summary>
/// <param name="Envelope">The envelope the report came in.</param>
/// <param name="Json">The report payload.</param>
public sealed record ReceivedClientReport(ReceivedEnvelope Envelope, JsonElement Json)
{
    /// <summary>Gets <c>discarded_events</c>. Empty when absent.</summary>
    public IReadOnlyList<ReceivedDiscardedEvent> DiscardedEvents => [.. JsonRead.Objects(JsonRead.Property(Json, "discarded_events"))
        .Select(entry => new ReceivedDiscardedEvent(JsonRead.String(entry, "reason"), JsonRead.String(entry, "category"), JsonRead.Int64(entry, "quantity") ?? 0))];

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
}

/// <summary>One entry of a client report's <c>discarded_events</c>.</summary>
/// <param name="Reason">The discard reason (for example <c>queue_overflow</c>, <c>ratelimit_backoff</c>), or <see langword="null"/>.</param>
/// <param name="Category">The data category (for example <c>error</c>), or <see langword="null"/>.</param>
/// <param name="Quantity">How many were discarded (0 when missing or not an integer).</param>
public sealed record ReceivedDiscardedEvent(string? Reason, string? Category, long Quantity);
