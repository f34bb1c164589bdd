using System.Globalization;

namespace ErrorReporting.Testing;

/// <summary>
/// A scripted answer of a <see cref="SentryTestServer"/> to one request, for testing how a client delivers under
/// failures: error statuses, rate limits, dropped connections, a server that never answers, slow answers.
/// </summary>
/// <remarks>
/// Immutable. A request answered by a fault is not recorded as received, except with <see cref="Ok"/> and with a
/// <see cref="Status"/> of 200 for a valid envelope. Every request appears in <see cref="SentryTestServer.Requests"/>.
/// </remarks>
public sealed class FaultResponse
{
    private FaultResponse(FaultKind kind, int statusCode = 0, string? body = null)
        => (Kind, StatusCode, Body) = (kind, statusCode, body);

    internal enum FaultKind
    {
        Normal,
        Status,
        CloseConnection,
        Hang,
    }

    /// <summary>Gets how long the server waits before doing the rest: zero unless set by <see cref="WithDelay"/>.</summary>
    public TimeSpan Delay { get; private init; }

    /// <summary>Gets the extra response headers: empty unless added by <see cref="WithHeader"/> or <see cref="RateLimited"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private init; } = [];

    internal FaultKind Kind { get; }

    internal int StatusCode { get; }

    internal string? Body { get; }

    /// <summary>Handles the request normally (checked, recorded, answered); combine with <see cref="WithDelay"/> or <see cref="WithHeader"/>.</summary>
    public static FaultResponse Ok() => new(FaultKind.Normal);

    /// <summary>Answers with a status code and body, without recording the envelope (unless the status is 200 and the envelope is valid).</summary>
    /// <param name="statusCode">The status code, for example 500, 503 or 413.</param>
    /// <param name="body">
    /// The body, sent as <c>application/json</c> when it starts with <c>{</c> or <c>[</c> and as text otherwise;
    /// <see langword="null"/> sends <c>{"detail":"…"}</c> (for 200, the receiver's normal answer).
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not between 100 and 599.</exception>
    public static FaultResponse Status(int statusCode, string? body = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new FaultResponse(FaultKind.Status, statusCode, body);
    }

    /// <summary>Answers 429 Too Many Requests, with the given rate-limit headers.</summary>
    /// <param name="sentryRateLimits">The <c>X-Sentry-Rate-Limits</c> header (for example <c>"60:error:key"</c>), or <see langword="null"/> for none.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> header (for example <c>"30"</c>), or <see langword="null"/> for none.</param>
    public static FaultResponse RateLimited(string? sentryRateLimits = null, string? retryAfter = null)
    {
        var fault = new FaultResponse(FaultKind.Status, 429);
        fault = sentryRateLimits is null ? fault : fault.WithHeader("X-Sentry-Rate-Limits", sentryRateLimits);
        return retryAfter is null ? fault : fault.WithHeader("Retry-After", retryAfter);
    }

    /// <summary>Reads the request, then aborts the connection without answering: the client sees a network error.</summary>
    public static FaultResponse CloseConnection() => new(FaultKind.CloseConnection);

    /// <summary>Reads the request and never answers, until the client gives up or the server is disposed (which it does not delay).</summary>
    public static FaultResponse Hang() => new(FaultKind.Hang);

    /// <summary>Returns a copy that waits <paramref name="delay"/> after reading the request, then does the rest. A <see cref="Hang"/> ignores it.</summary>
    /// <param name="delay">The delay.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public FaultResponse WithDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new FaultResponse(Kind, StatusCode, Body) { Delay = delay, Headers = Headers };
    }

    /// <summary>Returns a copy that adds a response header (for example an <c>X-Sentry-Rate-Limits</c> on a 200).</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The header value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public FaultResponse WithHeader(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        return new FaultResponse(Kind, StatusCode, Body) { Delay = Delay, Headers = [.. Headers, new(name, value)] };
    }

    /// <inheritdoc />
    public override string ToString()
        => (Kind switch { FaultKind.Normal => "ok", FaultKind.Status => $"{StatusCode}", FaultKind.CloseConnection => "close connection", _ => "hang" })
            + (Delay > TimeSpan.Zero ? $" after {Delay.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)} ms" : "")
            + (Headers.Count > 0 ? $" with {string.Join(", ", Headers.Select(header => $"{header.Key}: {header.Value}"))}" : "");
}
