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

    /// <summary>Gets the number of extra receptions of returned ids (an event received three times counts 2).</summary>
    public int Duplicates { get; init; }

    /// <summary>Gets the number of events received whose id no call returned.</summary>
    public int Unexpected { get; init; }

    /// <summary>Gets the seconds from recovery (or, without a fault, from the first report) to the last delivery of a returned id.</summary>
    public double? SecondsToLastDelivery { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Gets what broke a promise of the engine (ErrorReporting rows only), or a failed run.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public int Lost => Accepted - Delivered;

    public string SideName => Side == Side.Sdk ? "SDK 6.12.1 defaults" : "ErrorReporting";

    public string ToMarkdown()
    {
        var seconds = SecondsToLastDelivery is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) : "–";
        var notes = string.Join("; ", Problems.Select(p => "**" + p + "**").Concat(Notes));
        return string.Create(CultureInfo.InvariantCulture, $"| {Scenario.Title} | {SideName} | {Accepted:N0} / {Reported:N0} | {Delivered:N0} | {Duplicates:N0} | {Lost:N0} | {seconds} | {notes} |");
    }

    public static string MarkdownHeader =>
        "| scenario | delivery | accepted / reported | delivered | duplicates | lost | s from recovery to last delivery | notes |\n"
        + "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |";
}
