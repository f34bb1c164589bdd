using System.Globalization;

namespace ErrorReporting.DeliveryFaults;

/// <summary>One side of one scenario, counted by the parent from what the child returned and what the server received.</summary>
internal sealed record Row
{
    public required Scenario Scenario { get; init; }

    public required Side Side { get; init; }

    public int Reported { get; init; }

    /// <summary>Gets the number of reports whose call returned a non-empty id.</summary>
    public int Accepted { get; init; }

    /// <summary>Gets the number of distinct returned ids the server received as events.</summary>
    public int Delivered { get; init; }

    /// <summary>
    /// Gets the number of returned ids never received whose envelope the server answered with a 5xx, or with the 429
    /// that opened a rate-limit window: discarded as Sentry's transport rules say.
    /// </summary>
    public int DiscardedOnAnswer { get; init; }

    /// <summary>Gets the number of extra receptions of returned ids (an event received three times counts 2).</summary>
    public int Duplicates { get; init; }

    /// <summary>Gets the number of events received whose id no call returned.</summary>
    public int Unexpected { get; init; }

    /// <summary>Gets the seconds from recovery (or, without a fault, from the first report) to the last delivery of a returned id.</summary>
    public double? SecondsToLastDelivery { get; init; }

    /// <summary>Gets what the failing server received while it failed (per minute in the 60 s rows), or "–" when nothing was failing or nothing could see it.</summary>
    public string Requests { get; init; } = "–";

    /// <summary>Gets the sum of the <c>discarded_events</c> the server received in client reports, by reason and category.</summary>
    public IReadOnlyDictionary<(string Reason, string Category), long> ClientReports { get; init; } = new Dictionary<(string, string), long>();

    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Gets what broke a promise of the engine (ErrorReporting rows only), or a failed run.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Gets the accepted reports that never arrived with no 5xx or 429 answer to explain it: dropped by the client itself.</summary>
    public int Lost => Accepted - Delivered - DiscardedOnAnswer;

    public string SideName => Side == Side.Sdk ? "SDK 6.12.1 defaults" : "ErrorReporting";

    public string ToMarkdown()
    {
        var seconds = SecondsToLastDelivery is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) : "–";
        var notes = string.Join("; ", Problems.Select(p => "**" + p + "**").Concat(Notes));
        return string.Create(CultureInfo.InvariantCulture, $"| {Scenario.Title} | {SideName} | {Accepted:N0} / {Reported:N0} | {Delivered:N0} | {DiscardedOnAnswer:N0} | {Lost:N0} | {Duplicates:N0} | {seconds} | {Requests} | {DescribeClientReports(ClientReports)} | {notes} |");
    }

    /// <summary>Writes client-report counts as <c>reason/category n</c>, largest first; "none" for none.</summary>
    public static string DescribeClientReports(IReadOnlyDictionary<(string Reason, string Category), long> counts)
        => counts.Count == 0
            ? "none"
            : string.Join(", ", counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key.Reason, StringComparer.Ordinal).ThenBy(c => c.Key.Category, StringComparer.Ordinal)
                .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key.Reason}/{c.Key.Category} {c.Value:N0}")));

    public static string MarkdownHeader =>
        "| scenario | delivery | accepted / reported | delivered | discarded on a 5xx/429 | lost | duplicates | s from recovery to last delivery | requests to the failing server | client reports received | notes |\n"
        + "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |";
}
