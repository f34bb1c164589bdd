using ErrorReporting.Delivery.Sending;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// The retry delays of the <see cref="SendSchedule"/> with a random source the test chooses: the step doubles from 1 s
/// up to 60 s, and each delay is drawn from [75 %, 100 %] of its step (jitter, so that a fleet does not retry in
/// lock-step). The sender's use of them, on a fake clock, is in <see cref="EnvelopeSenderTests"/>.
/// </summary>
public sealed class SendScheduleTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Failed_LowestRandomDraw_WaitsThreeQuartersOfTheStep()
    {
        var schedule = new SendSchedule(new FixedRandom(0));

        var retryAt = schedule.Failed(s_start, s_start, serverDelay: null);

        Assert.Equal(TimeSpan.FromMilliseconds(750), retryAt - s_start);
    }

    [Fact]
    public void Failed_HighestRandomDraw_WaitsTheWholeStep()
    {
        var schedule = new SendSchedule(new FixedRandom(0.999_999));

        var retryAt = schedule.Failed(s_start, s_start, serverDelay: null);

        Assert.InRange((retryAt - s_start).TotalMilliseconds, 999.9, 1000);
    }

    [Fact]
    public void Failed_EachFailureInARow_DoublesTheStepFromOneSecondUpToSixtySeconds()
    {
        var schedule = new SendSchedule(new FixedRandom(0));
        double[] stepsInSeconds = [1, 2, 4, 8, 16, 32, 60, 60, 60];

        var now = s_start;
        var delays = new List<TimeSpan>();
        for (var i = 0; i < stepsInSeconds.Length; i++)
        {
            // Each probe starts when the previous delay ends, and fails at once.
            var retryAt = schedule.Failed(now, now, serverDelay: null);
            delays.Add(retryAt - now);
            now = retryAt;
        }

        Assert.Equal(stepsInSeconds.Select(step => TimeSpan.FromSeconds(0.75 * step)), delays);
        Assert.Equal(stepsInSeconds.Length, schedule.Failures);
    }

    [Fact]
    public void Failed_SendStartedBeforeTheLastFailure_IsPartOfThatFailureAndKeepsItsRetryTime()
    {
        var schedule = new SendSchedule(new FixedRandom(0));
        var first = schedule.Failed(s_start, s_start, serverDelay: null);

        var sameFailure = schedule.Failed(s_start + TimeSpan.FromMilliseconds(10), s_start - TimeSpan.FromMilliseconds(5), serverDelay: null);

        Assert.Equal(first, sameFailure);
        Assert.Equal(1, schedule.Failures);
    }

    [Theory]
    [InlineData(30, 30)]
    [InlineData(600, 300)]
    public void Failed_ServerAsksForLongerThanTheStep_WaitsWhatItAskedUpToFiveMinutes(int askedSeconds, int expectedSeconds)
    {
        var schedule = new SendSchedule(new FixedRandom(0));

        var retryAt = schedule.Failed(s_start, s_start, TimeSpan.FromSeconds(askedSeconds));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), retryAt - s_start);
    }

    /// <summary>A random source whose every draw is <paramref name="value"/>.</summary>
    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;

        protected override double Sample() => value;
    }
}
