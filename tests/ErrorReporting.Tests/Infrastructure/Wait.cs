using System.Runtime.CompilerServices;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>Waits for a condition with a bound (never a fixed sleep): polls, and fails the test when the bound passes.</summary>
internal static class Wait
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(10);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
        => ForAsync(() => condition() ? true : (bool?)null, what, timeout);

    /// <summary>Waits until <paramref name="value"/> returns something, and returns it.</summary>
    public static async Task<T> ForAsync<T>(Func<T?> value, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (value() is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting for: {what}");
            }

            await Task.Delay(s_pollInterval);
        }
    }

    /// <summary>Waits until <paramref name="value"/> returns something, and returns it.</summary>
    public static async Task<T> ForAsync<T>(Func<T?> value, string what, TimeSpan? timeout = null)
        where T : struct
        => (await ForAsync(() => value() is { } found ? new StrongBox<T>(found) : null, what, timeout)).Value;
}
