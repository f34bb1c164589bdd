namespace ErrorReporting.Delivery.Sending;

/// <summary>
/// When the sender may start a send, so that a failing server is probed politely and a recovered one is not flooded:
/// <list type="bullet">
/// <item><b>Healthy</b>: up to <see cref="MaxInFlight"/> sends under way, widening by one per success from one (after
/// start-up, a failure or a drained backlog), unpaced.</item>
/// <item><b>Failing</b> (no response, or a 5xx): one request at a time, the next after a delay that starts at about
/// <see cref="FirstRetryDelay"/> and doubles up to <see cref="MaxRetryDelay"/>, drawn from [75 %, 100 %] of its step
/// (jitter, so that a fleet does not come back in lock-step), or the server's <c>Retry-After</c> when longer.</item>
/// <item><b>Draining</b> (the server answered again, or the offline cache held envelopes at start-up): what waited
/// through the failure is sent one request at a time, at least <see cref="BacklogSpacing"/> apart; then healthy.</item>
/// </list>
/// Not thread-safe: the sender's loop owns it.
/// </summary>
internal sealed class SendSchedule(Random random)
{
    public const int MaxInFlight = 4;

    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MaxServerDelay = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan BacklogSpacing = TimeSpan.FromMilliseconds(100);

    private int _failures;
    private DateTimeOffset _retryAt;
    private DateTimeOffset _lastFailureAt = DateTimeOffset.MinValue;
    private long _backlog;
    private DateTimeOffset _nextPacedAt;
    private int _window = 1;

    /// <summary>Gets the number of failed attempts in a row (0 while the server answers).</summary>
    public int Failures => _failures;

    /// <summary>
    /// Gets how many more sends may start now, with <paramref name="inFlight"/> under way; when none may,
    /// <paramref name="wakeAt"/> is when that changes by itself (<see langword="null"/>: at the next response).
    /// </summary>
    public int Allowance(DateTimeOffset now, int inFlight, out DateTimeOffset? wakeAt)
    {
        wakeAt = null;
        if (_failures == 0 && _backlog == 0)
        {
            return Math.Max(0, _window - inFlight);
        }

        if (inFlight > 0)
        {
            return 0;
        }

        var at = _failures > 0 ? _retryAt : _nextPacedAt;
        if (now < at)
        {
            wakeAt = at;
            return 0;
        }

        return 1;
    }

    /// <summary>A send started (while draining, the next one waits <see cref="BacklogSpacing"/>).</summary>
    public void Started(DateTimeOffset now)
    {
        if (_failures == 0 && _backlog > 0)
        {
            _backlog--;
            _nextPacedAt = now + BacklogSpacing;
        }
    }

    /// <summary>
    /// The server answered with anything but a 5xx. After a failure, the <paramref name="waiting"/> envelopes are the
    /// backlog, sent paced; otherwise the window widens.
    /// </summary>
    public void Answered(DateTimeOffset now, long waiting)
    {
        if (_failures > 0)
        {
            _failures = 0;
            _window = 1;
            Drain(now, waiting);
        }
        else if (_backlog == 0)
        {
            _window = Math.Min(MaxInFlight, _window + 1);
        }
    }

    /// <summary>Sends <paramref name="count"/> envelopes paced from now on (the offline cache's at start-up).</summary>
    public void Drain(DateTimeOffset now, long count)
    {
        _backlog = Math.Max(0, count);
        _nextPacedAt = now + BacklogSpacing;
    }

    /// <summary>Nothing waits any more: the backlog is out.</summary>
    public void NothingWaiting() => _backlog = 0;

    /// <summary>
    /// A send that started at <paramref name="startedAt"/> got no response, or a 5xx (with the server's
    /// <paramref name="serverDelay"/>). Sends already under way when an earlier one failed are part of the same
    /// failure and do not lengthen the delay. Returns the time of the next attempt.
    /// </summary>
    public DateTimeOffset Failed(DateTimeOffset now, DateTimeOffset startedAt, TimeSpan? serverDelay)
    {
        _window = 1;
        _backlog = 0;
        if (_failures > 0 && startedAt < _lastFailureAt)
        {
            return _retryAt;
        }

        var step = Math.Min(MaxRetryDelay.TotalMilliseconds, FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16)));
        var delay = TimeSpan.FromMilliseconds(step * (0.75 + (random.NextDouble() * 0.25)));
        if (serverDelay is { } asked && asked > delay)
        {
            delay = asked < MaxServerDelay ? asked : MaxServerDelay;
        }

        _failures++;
        _lastFailureAt = now;
        _retryAt = now + delay;
        return _retryAt;
    }
}
