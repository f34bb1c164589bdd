namespace ErrorReporting.Delivery;

/// <summary>
/// Exponential backoff with jitter for failed sends: 0.5 s, 1 s, 2 s, … up to 30 s, each delay drawn from
/// [75 %, 125 %] of its step so that many processes recovering together do not send in lock-step.
/// </summary>
internal sealed class RetryBackoff
{
    internal static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    internal static readonly TimeSpan Maximum = TimeSpan.FromSeconds(30);

    private int _failures;

    public int Failures => _failures;

    public TimeSpan NextDelay()
    {
        var step = Initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16));
        _failures++;
        var jittered = Math.Min(step, Maximum.TotalMilliseconds) * (0.75 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, Maximum.TotalMilliseconds));
    }

    public void Reset() => _failures = 0;
}
