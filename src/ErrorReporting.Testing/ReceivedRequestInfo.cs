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

/// <summary>
/// One request received by a <see cref="SentryTestServer"/>, faulted or not, in <see cref="SentryTestServer.Requests"/>.
/// </summary>
public sealed class ReceivedRequestInfo
{
    internal ReceivedRequestInfo(int sequence, DateTimeOffset receivedAt, TimeSpan sinceStart, string method, string path, string? eventId, int bodyLength)
    {
        Sequence = sequence;
        ReceivedAt = receivedAt;
        SinceStart = sinceStart;
        Method = method;
        Path = path;
        EventId = eventId;
        BodyLength = bodyLength;
    }

    /// <summary>Gets the request's number: 1 for the first request the server received.</summary>
    public int Sequence { get; }

    /// <summary>Gets the time the request arrived.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Gets how long after the server started the request arrived.</summary>
    public TimeSpan SinceStart { get; }

    /// <summary>Gets the request method.</summary>
    public string Method { get; }

    /// <summary>Gets the request path (without the query string).</summary>
    public string Path { get; }

    /// <summary>Gets the envelope header's <c>event_id</c> when the body could be parsed that far, otherwise <see langword="null"/>.</summary>
    public string? EventId { get; }

    /// <summary>Gets the number of body bytes on the wire.</summary>
    public int BodyLength { get; }

    /// <summary>Gets what became of the request.</summary>
    public RequestOutcome Outcome { get; private init; }

    /// <summary>Gets the status code answered, or <see langword="null"/> when the request was not answered.</summary>
    public int? StatusCode { get; private init; }

    /// <summary>Gets the fault applied, or <see langword="null"/> for normal handling.</summary>
    public FaultResponse? Fault { get; private init; }

    /// <summary>Gets a value indicating whether the envelope was recorded as received.</summary>
    public bool Recorded { get; private init; }

    /// <summary>Gets why the request was refused or not answered, or <see langword="null"/>.</summary>
    public string? Detail { get; private init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var outcome = Outcome switch
        {
            RequestOutcome.Answered => StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "answered",
            RequestOutcome.Aborted => "aborted",
            RequestOutcome.Hung => "hung",
            _ => "pending",
        };
        var text = $"#{Sequence} +{SinceStart.TotalSeconds:0.000}s {Method} {Path} event {EventId ?? "-"} → {outcome}";
        if (Fault is not null)
        {
            text += $" (fault: {Fault})";
        }

        if (Detail is not null)
        {
            text += $": {Detail}";
        }

        return text;
    }

    internal ReceivedRequestInfo Complete(RequestOutcome outcome, int? statusCode, FaultResponse? fault, bool recorded, string? detail)
        => new(Sequence, ReceivedAt, SinceStart, Method, Path, EventId, BodyLength)
        {
            Outcome = outcome,
            StatusCode = statusCode,
            Fault = fault,
            Recorded = recorded,
            Detail = detail,
        };
}
