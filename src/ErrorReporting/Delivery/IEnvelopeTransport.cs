using System.Globalization;

namespace ErrorReporting.Delivery;

/// <summary>
/// Sends one envelope (uncompressed bytes) in one attempt and reports what happened. It never throws for network or
/// HTTP failures: those are results. Deciding to retry, wait or drop is the sender's job.
/// </summary>
internal interface IEnvelopeTransport : IDisposable
{
    Task<TransportResponse> SendAsync(ReadOnlyMemory<byte> envelope, CancellationToken cancellationToken);
}

/// <summary>
/// The outcome of one send attempt: an HTTP status with the headers and error detail that matter, or a failure
/// before any status (connection refused or reset, DNS failure, timeout).
/// </summary>
internal readonly record struct TransportResponse(int StatusCode, string? RateLimits = null, string? RetryAfter = null, string? Detail = null, Exception? Failure = null)
{
    public static TransportResponse Failed(Exception failure) => new(0, Failure: failure);

    /// <summary>Gets a value indicating whether the server took the envelope (any 2xx).</summary>
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>Gets a value indicating whether the attempt should be repeated later: no response, 5xx, 408, or 429.</summary>
    public bool IsRetryable => Failure is not null || StatusCode >= 500 || StatusCode is 408 or 429;

    /// <summary>Gets the delay a 5xx response asked for with <c>Retry-After</c>, or <see langword="null"/>.</summary>
    public TimeSpan? ServerRetryDelay(DateTimeOffset now)
        => StatusCode >= 500 ? Delivery.RateLimits.ParseRetryAfter(RetryAfter, now) : null;

    public string Describe()
        => Failure is { } failure ? $"{failure.GetType().Name}: {failure.Message}" : string.Create(CultureInfo.InvariantCulture, $"HTTP {StatusCode}");
}
