using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ErrorReporting.Tests.HealthChecks;

/// <summary>
/// What a health check's call allocates on its thread, against what its result takes by itself: the bound the tests
/// assert is "nothing beyond the result". Counted with <see cref="GC.GetAllocatedBytesForCurrentThread"/>, the smallest
/// of five rounds of 200 calls after a warm-up (an amortized one-off step can only raise a round). The result's own
/// size is measured the same way, by building an equal result: the data dictionary with the values the check boxes
/// (non-zero counts, times, statuses; zero counts share one box), the description unless it is a constant (interned),
/// and, for <c>CheckHealthAsync</c>, the completed task around it.
/// </summary>
internal static class ResultAllocation
{
    private const int Calls = 200;
    private const int Rounds = 5;

    public static Measurement Measure(Func<HealthCheckResult> call, bool inTask)
    {
        var sample = call();
        for (var i = 0; i < Calls; i++)
        {
            call();
        }

        var perCall = SmallestPerCall(() => call());
        var constantDescription = string.IsInterned(sample.Description!) is not null;
        var entries = sample.Data.ToArray();
        var result = inTask
            ? SmallestPerCall(() => Task.FromResult(Copy(sample, entries, constantDescription)))
            : SmallestPerCall(() => Copy(sample, entries, constantDescription));
        return new Measurement(sample.Status, perCall, result, sample.Data.Count, sample.Description!.Length);
    }

    private static long SmallestPerCall(Action call)
    {
        var smallest = long.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                call();
            }

            smallest = Math.Min(smallest, (GC.GetAllocatedBytesForCurrentThread() - before) / Calls);
        }

        return smallest;
    }

    private static HealthCheckResult Copy(HealthCheckResult result, KeyValuePair<string, object>[] entries, bool constantDescription)
    {
        var data = new Dictionary<string, object>(16);
        foreach (var (key, value) in entries)
        {
            data[key] = value switch
            {
                0L => value,
                long count => count,
                int status => status,
                DateTimeOffset at => at,
                _ => value,
            };
        }

        var description = constantDescription ? result.Description : new string(result.Description.AsSpan());
        return new HealthCheckResult(result.Status, description, null, data);
    }
}

/// <summary>Bytes per call of a check and of its result alone, with the result's shape.</summary>
internal sealed record Measurement(HealthStatus Status, long PerCall, long Result, int Entries, int DescriptionLength);
