using ErrorReporting.Delivery.Sending;

namespace ErrorReporting.Tests.Delivery;

public sealed class RateLimitsTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Update_CategoryLimit_BlocksThatCategoryOnly()
    {
        var limits = new RateLimits();

        Assert.True(limits.Update(429, "2:error:organization", null, s_now));

        Assert.Equal(s_now.AddSeconds(2), limits.BlockedUntil(["error"], s_now));
        Assert.Null(limits.BlockedUntil(["transaction"], s_now));
        Assert.Null(limits.BlockedUntil(["internal"], s_now));
        Assert.Null(limits.BlockedUntil(["error"], s_now.AddSeconds(2)));
    }

    [Fact]
    public void Update_EmptyCategories_BlocksEverythingIncludingInternal()
    {
        var limits = new RateLimits();

        limits.Update(429, "60::organization", null, s_now);

        Assert.Equal(s_now.AddSeconds(60), limits.BlockedUntil(["error"], s_now));
        Assert.Equal(s_now.AddSeconds(60), limits.BlockedUntil(["internal"], s_now));
    }

    [Fact]
    public void Update_SeveralLimitsWithSpacesAndExtraFields_AppliesEach()
    {
        var limits = new RateLimits();

        limits.Update(200, "60:transaction:key, 2700:default;error;security:organization:quota_exceeded:ns:extra", null, s_now);

        Assert.Equal(s_now.AddSeconds(60), limits.BlockedUntil(["transaction"], s_now));
        Assert.Equal(s_now.AddSeconds(2700), limits.BlockedUntil(["error"], s_now));
        Assert.Equal(s_now.AddSeconds(2700), limits.BlockedUntil(["default"], s_now));
    }

    [Fact]
    public void Update_FloatRetryAfter_IsHonoured()
    {
        var limits = new RateLimits();

        limits.Update(429, "1.5:error:key", null, s_now);

        Assert.Equal(s_now.AddSeconds(1.5), limits.BlockedUntil(["error"], s_now));
    }

    [Fact]
    public void Update_ShorterLimitLater_KeepsTheLongerOne()
    {
        var limits = new RateLimits();

        limits.Update(429, "60:error:key", null, s_now);
        limits.Update(429, "5:error:key", null, s_now.AddSeconds(1));

        Assert.Equal(s_now.AddSeconds(60), limits.BlockedUntil(["error"], s_now.AddSeconds(1)));
    }

    [Fact]
    public void Update_CategoryNamesDifferInCase_MatchIgnoringCase()
    {
        var limits = new RateLimits();

        limits.Update(429, "10:Error:key", null, s_now);

        Assert.NotNull(limits.BlockedUntil(["error"], s_now));
    }

    [Fact]
    public void Update_GarbageLimit_IsIgnoredOthersApplied()
    {
        var limits = new RateLimits();

        limits.Update(200, "soon:error:key, -5:error, NaN:error, 7:error", null, s_now);

        Assert.Equal(s_now.AddSeconds(7), limits.BlockedUntil(["error"], s_now));
    }

    [Fact]
    public void Update_Bare429_BlocksEverythingFor60Seconds()
    {
        var limits = new RateLimits();

        Assert.True(limits.Update(429, null, null, s_now));

        Assert.Equal(s_now.AddSeconds(60), limits.BlockedUntil(["error"], s_now));
        Assert.True(limits.IsAnyActive(s_now.AddSeconds(59)));
        Assert.False(limits.IsAnyActive(s_now.AddSeconds(60)));
    }

    [Theory]
    [InlineData("30", 30)]
    [InlineData("2.5", 2.5)]
    [InlineData("Sun, 22 Nov 2026 12:00:45 GMT", 45)]
    public void Update_RetryAfter_BlocksEverythingForItsDuration(string retryAfter, double seconds)
    {
        var limits = new RateLimits();

        limits.Update(429, null, retryAfter, s_now);

        Assert.Equal(s_now.AddSeconds(seconds), limits.BlockedUntil(["error"], s_now));
    }

    [Fact]
    public void Update_RetryAfterOn503_IsARetryDelayNotARateLimit()
    {
        var limits = new RateLimits();

        Assert.False(limits.Update(503, null, "4", s_now));

        Assert.Null(limits.BlockedUntil(["error"], s_now));
        Assert.Equal(TimeSpan.FromSeconds(4), RateLimits.ParseRetryAfter("4", s_now));
    }

    [Theory]
    [InlineData("1e20:error:organization", null)]
    [InlineData("Infinity:error:organization", null)]
    [InlineData(null, "1e20")]
    [InlineData(null, "Fri, 31 Dec 9999 23:59:59 GMT")]
    public void Update_DelayBeyondAYear_IsReadAsTheLongestDelayWithoutOverflowing(string? rateLimits, string? retryAfter)
    {
        var limits = new RateLimits();

        Assert.True(limits.Update(429, rateLimits, retryAfter, s_now));

        Assert.Equal(s_now + RateLimits.LongestDelay, limits.BlockedUntil(["error"], s_now));
        Assert.Equal(TimeSpan.FromDays(366), RateLimits.LongestDelay);
    }

    [Fact]
    public void BlockedUntil_SeveralCategories_IsTheLatestOfTheirLimits()
    {
        var limits = new RateLimits();

        limits.Update(429, "5:error:key, 20:attachment:key", null, s_now);

        Assert.Equal(s_now.AddSeconds(20), limits.BlockedUntil(["error", "attachment"], s_now));
        Assert.Equal(s_now.AddSeconds(5), limits.BlockedUntil(["error", "internal"], s_now));
        Assert.Null(limits.BlockedUntil(["session"], s_now));
    }

    [Fact]
    public void Update_PlainSuccess_AnnouncesNothing()
    {
        var limits = new RateLimits();

        Assert.False(limits.Update(200, null, null, s_now));
        Assert.Null(limits.BlockedUntil(["error"], s_now));
    }

    [Fact]
    public void Update_RateLimitsHeaderOn429_TakesPrecedenceOverRetryAfter()
    {
        var limits = new RateLimits();

        limits.Update(429, "3:error:key", "100", s_now);

        Assert.Equal(s_now.AddSeconds(3), limits.BlockedUntil(["error"], s_now));
        Assert.Null(limits.BlockedUntil(["internal"], s_now));
    }
}
