namespace TutorialApp;

/// <summary>A search of the issue stream by event id that found nothing to open.</summary>
/// <param name="Query">What was pasted, trimmed.</param>
/// <param name="EventId">The id it names (wire form), or <see langword="null"/> when it is not an event id.</param>
internal sealed record IssueSearch(string Query, string? EventId)
{
    /// <summary>Gets a value indicating whether the query is not an event id at all.</summary>
    public bool NotAnId => EventId is null;

    /// <summary>Reads a pasted id.</summary>
    public static IssueSearch Of(string query) => new(query.Trim(), EventIds.Normalize(query));
}
