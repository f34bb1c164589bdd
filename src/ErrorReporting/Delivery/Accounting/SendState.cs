namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// What the sender last saw of the server, published as an immutable snapshot after every answer (or its absence), so
/// that readers (the health check) never wait for a send. Client reports sent on their own change only whether the
/// server answers (<see cref="UnreachableSince"/>): what happens to them says nothing about the events.
/// </summary>
/// <param name="LastDeliveredAt">When the server last accepted an envelope.</param>
/// <param name="LastFailureAt">When a send last failed: no response, or any status but 2xx.</param>
/// <param name="LastFailureStatus">The status of that failure; 0 when no response came.</param>
/// <param name="LastFailure">What that failure was: the exception's message, or the status with the server's reason.</param>
/// <param name="LastAnswerStatus">The status of the last send that got a response, or <see langword="null"/>.</param>
/// <param name="UnreachableSince">When the first send of the current run of sends without any response started, or <see langword="null"/> when the last send got one.</param>
/// <param name="ServerFailingSince">When the current run of 5xx answers began, or <see langword="null"/> when the last answer was not a 5xx.</param>
internal sealed record SendState(
    DateTimeOffset? LastDeliveredAt,
    DateTimeOffset? LastFailureAt,
    int LastFailureStatus,
    string? LastFailure,
    int? LastAnswerStatus,
    DateTimeOffset? UnreachableSince,
    DateTimeOffset? ServerFailingSince = null)
{
    public static readonly SendState Initial = new(null, null, 0, null, null, null);
}
