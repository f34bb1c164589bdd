namespace ErrorReporting.Benchmarks;

/// <summary>Order statistics of a handful of runs.</summary>
internal static class Statistics
{
    /// <summary>
    /// Minimum, median (the mean of the two middle values for an even count), nearest-rank 90th percentile
    /// (the smallest value with at least 90 % of the values at or below it) and maximum.
    /// </summary>
    public static (double Min, double Median, double P90, double Max) Summarize(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        var p90 = sorted[(int)Math.Ceiling(0.9 * sorted.Length) - 1];
        return (sorted[0], median, p90, sorted[^1]);
    }
}
