namespace ErrorReporting.Testing;

/// <summary>
/// A request that a <see cref="SentryEnvelopeReceiver"/> refused: bad authentication, wrong project, malformed envelope.
/// </summary>
public sealed class RejectedRequest
{
    internal RejectedRequest(DateTimeOffset receivedAt, string method, string path, int statusCode, string reason, string? eventId)
    {
        ReceivedAt = receivedAt;
        Method = method;
        Path = path;
        StatusCode = statusCode;
        Reason = reason;
        EventId = eventId;
    }

    /// <summary>Gets the time the request arrived.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Gets the request method.</summary>
    public string Method { get; }

    /// <summary>Gets the request path (without the query string).</summary>
    public string Path { get; }

    /// <summary>Gets the status code answered (401, 403, 404, 400, 413, …).</summary>
    public int StatusCode { get; }

    /// <summary>Gets the reason, as sent in the response's <c>{"detail": …}</c>.</summary>
    public string Reason { get; }

    /// <summary>Gets the envelope header's <c>event_id</c> when the body could be parsed that far, otherwise <see langword="null"/>.</summary>
    public string? EventId { get; }

    /// <inheritdoc />
    public override string ToString() => $"{StatusCode} {Method} {Path}: {Reason}";
}
