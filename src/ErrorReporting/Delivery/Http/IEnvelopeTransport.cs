using System.Globalization;

namespace ErrorReporting.Delivery.Http;

/// <summary>
/// Sends one envelope (uncompressed bytes) in one attempt and reports what happened. It never throws for network or
/// HTTP failures: those are results. What to do about them is the sender's job.
/// </summary>
internal interface IEnvelopeTransport : IDisposable
{
    Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken);
}

/// <summary>
/// The outcome of one send attempt: an HTTP status with the headers and error detail that matter, or a failure before
/// any status (connection refused or reset, DNS failure, no answer within the send timeout).
/// </summary>
internal readonly record struct TransportResponse(int StatusCode, string? RateLimits = null, string? RetryAfter = null, string? Detail = null, Exception? Failure = null)
{
    public static TransportResponse Failed(Exception failure) => new(0, Failure: failure);

    /// <summary>Gets a value indicating whether the server took the envelope (any 2xx).</summary>
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>Gets a value indicating whether no response came (the only case in which an envelope is sent again).</summary>
    public bool IsNetworkFailure => Failure is not null;

    /// <summary>Gets a value indicating whether the server answered 5xx.</summary>
    public bool IsServerError => StatusCode >= 500;

    public string Describe()
        => Failure is { } failure ? $"{failure.GetType().Name}: {failure.Message}" : string.Create(CultureInfo.InvariantCulture, $"HTTP {StatusCode}");
}
