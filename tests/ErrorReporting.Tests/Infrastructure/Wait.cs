namespace ErrorReporting.Tests.Infrastructure;

/// <summary>Waits for a condition with a bound (never a fixed sleep): polls, and fails the test when the bound passes.</summary>
internal static class Wait
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(10);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting for: {what}");
            }

            await Task.Delay(s_pollInterval);
        }
    }
}
