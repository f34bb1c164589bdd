namespace ErrorReporting.Delivery;

/// <summary>
/// Backoff with jitter for failed sends: 0.1 s, 0.2 s, 0.4 s, then 0.8 s for as long as the failures last, each delay
/// drawn from [75 %, 100 %] of its step, so that processes recovering together do not send in lock-step. The cap of
/// <see cref="Maximum"/> keeps the first delivery after the server comes back within a second; a server that wants
/// clients to wait longer says so with <c>Retry-After</c>, which the sender honours.
/// </summary>
internal sealed class RetryBackoff
{
    internal static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan Maximum = TimeSpan.FromMilliseconds(800);

    private int _failures;

    public int Failures => _failures;

    public TimeSpan NextDelay()
    {
        var step = Math.Min(Maximum.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16)));
        _failures++;
        return TimeSpan.FromMilliseconds(step * (0.75 + (Random.Shared.NextDouble() * 0.25)));
    }

    public void Reset() => _failures = 0;
}
