using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ErrorReporting.Benchmarks;

/// <summary>Adds <see cref="CallerThreadAllocatedColumn"/> to a benchmark class.</summary>
public sealed class CallerThreadConfig : ManualConfig
{
    public CallerThreadConfig() => AddColumn(new CallerThreadAllocatedColumn());
}

/// <summary>
/// The bytes the caller's own thread allocated per call, which a benchmark process prints as
/// <c>// caller-thread bytes/call: N</c> (BenchmarkDotNet's <c>Allocated</c> counts all threads, the delivery
/// engine's worker included).
/// </summary>
public sealed class CallerThreadAllocatedColumn : IColumn
{
    public const string Marker = "// caller-thread bytes/call: ";

    public string Id => nameof(CallerThreadAllocatedColumn);

    public string ColumnName => "Caller alloc";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Metric;

    public int PriorityInCategory => 10;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Size;

    public string Legend => "Bytes allocated on the caller's thread per call (GC.GetAllocatedBytesForCurrentThread, median of the later iterations)";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var line = report?.ExecuteResults
            .SelectMany(r => r.StandardOutput)
            .LastOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
        if (line is null || !double.TryParse(line.AsSpan(Marker.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes))
        {
            return "-";
        }

        return bytes < 1024 ? bytes.ToString("0.#", CultureInfo.InvariantCulture) + " B" : (bytes / 1024).ToString("0.##", CultureInfo.InvariantCulture) + " KB";
    }
}
