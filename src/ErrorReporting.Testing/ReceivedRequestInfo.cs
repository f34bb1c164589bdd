namespace ErrorReporting.Testing;

/// <summary>
/// What became of a request to a <see cref="SentryTestServer"/>.
/// </summary>
public enum RequestOutcome
{
    /// <summary>Not decided yet: only seen by <see cref="FaultScript.Handler"/>.</summary>
    Pending = 0,

    /// <summary>A response was sent (see <see cref="ReceivedRequestInfo.StatusCode"/>).</summary>
    Answered = 1,

    /// <summary>The connection was aborted without a response (<see cref="FaultResponse.CloseConnection"/>, or the client went away).</summary>
    Aborted = 2,

    /// <summary>The server never answered (<see cref="FaultResponse.Hang"/>).</summary>
    Hung = 3,
}

/// <summary>One request received by a <see cref="SentryTestServer"/>, faulted or not, in <see cref="SentryTestServer.Requests"/>.</summary>
/// <param name="Sequence">The request's number: 1 for the first request the server received.</param>
/// <param name="ReceivedAt">The time the request arrived.</param>
/// <param name="SinceStart">How long after the server started the request arrived.</param>
/// <param name="Method">The request method.</param>
/// <param name="Path">The request path (without the query string).</param>
/// <param name="EventId">The envelope header's <c>event_id</c> when the envelope could be split that far, otherwise <see langword="null"/>.</param>
/// <param name="BodyLength">The number of body bytes on the wire.</param>
public sealed record ReceivedRequestInfo(int Sequence, DateTimeOffset ReceivedAt, TimeSpan SinceStart, string Method, string Path, string? EventId, int BodyLength)
{
    /// <summary>Gets what became of the request.</summary>
    public RequestOutcome Outcome { get; init; }

    /// <summary>Gets the status code answered, or <see langword="null"/> when the request was not answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Gets the fault applied, or <see langword="null"/> for normal handling.</summary>
    public FaultResponse? Fault { get; init; }

    /// <summary>Gets a value indicating whether the envelope was recorded as received.</summary>
    public bool Recorded { get; init; }

    /// <summary>Gets why the request was refused or not answered, or <see langword="null"/>.</summary>
    public string? Detail { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} +{SinceStart.TotalSeconds:0.000}s {Method} {Path} event {EventId ?? "-"} → "
        + (Outcome == RequestOutcome.Answered ? $"{StatusCode}" : $"{Outcome}") + (Fault is null ? "" : $" (fault: {Fault})") + (Detail is null ? "" : $": {Detail}");
}

/// <summary>A request that a <see cref="SentryEnvelopeReceiver"/> refused: bad authentication, wrong project, malformed envelope.</summary>
/// <param name="ReceivedAt">The time the request arrived.</param>
/// <param name="Method">The request method.</param>
/// <param name="Path">The request path (without the query string).</param>
/// <param name="StatusCode">The status code answered (401, 403, 404, 400, 413, …).</param>
/// <param name="Reason">The reason, as sent in the response's <c>{"detail": …}</c>.</param>
/// <param name="EventId">The envelope header's <c>event_id</c> when the envelope could be split that far, otherwise <see langword="null"/>.</param>
public sealed record RejectedRequest(DateTimeOffset ReceivedAt, string Method, string Path, int StatusCode, string Reason, string? EventId);
