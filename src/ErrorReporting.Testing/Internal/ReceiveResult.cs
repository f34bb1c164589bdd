namespace ErrorReporting.Testing.Internal;

/// <summary>
/// What the receiver made of one request, before anything is recorded or answered.
/// </summary>
internal sealed class ReceiveResult(DateTimeOffset receivedAt, string method, string path)
{
    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public string Method { get; } = method;

    public string Path { get; } = path;

    /// <summary>Gets the status the receiver answers: 200 when accepted.</summary>
    public int StatusCode { get; private set; } = 200;

    /// <summary>Gets the reason of a refusal.</summary>
    public string? Detail { get; private set; }

    /// <summary>Gets or sets the envelope header's event id, when the envelope could be split (even if refused).</summary>
    public string? EventId { get; set; }

    /// <summary>Gets or sets the number of body bytes on the wire.</summary>
    public int BodyLength { get; set; }

    /// <summary>Gets or sets a value indicating whether the client went away before the body was read.</summary>
    public bool ClientDisconnected { get; set; }

    /// <summary>Gets or sets the envelope; set only when it passed every check.</summary>
    public ReceivedEnvelope? Envelope { get; set; }

    /// <summary>Gets or sets the envelope's event (an envelope carries at most one), or <see langword="null"/>.</summary>
    public ReceivedEvent? Event { get; set; }

    public List<ReceivedClientReport> ClientReports { get; } = [];

    public bool Accepted => StatusCode == 200 && Envelope is not null;

    public void Refuse(int statusCode, string detail)
    {
        StatusCode = statusCode;
        Detail = detail;
        Envelope = null;
        Event = null;
        ClientReports.Clear();
    }
}
