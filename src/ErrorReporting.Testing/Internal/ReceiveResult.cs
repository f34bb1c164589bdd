namespace ErrorReporting.Testing.Internal;

/// <summary>What the receiver made of one request, before anything is recorded or answered.</summary>
internal sealed class ReceiveResult(DateTimeOffset receivedAt, string method, string path)
{
    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public string Method { get; } = method;

    public string Path { get; } = path;

    public int BodyLength { get; set; }

    /// <summary>Gets or sets the envelope header's <c>event_id</c>, once the envelope could be split (even if it is then refused).</summary>
    public string? EventId { get; set; }

    /// <summary>Gets or sets the envelope, once it passed every check: the request is accepted.</summary>
    public ReceivedEnvelope? Envelope { get; set; }

    public ReceivedEvent? Event { get; set; }

    public List<ReceivedClientReport> ClientReports { get; } = [];

    /// <summary>Gets or sets the first check that failed.</summary>
    public Refusal? Refusal { get; set; }

    /// <summary>Gets or sets why the client went away before it sent the whole body (it gets no answer).</summary>
    public string? Disconnected { get; set; }

    public int StatusCode => Refusal?.StatusCode ?? 200;

    public string? Detail => Disconnected ?? Refusal?.Message;
}
