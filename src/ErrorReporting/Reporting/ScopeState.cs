namespace ErrorReporting.Reporting;

/// <summary>
/// An immutable snapshot of a scope's tags. A report keeps a reference to the snapshot current at the call, so
/// later changes to the scope do not alter it and capturing it allocates nothing.
/// </summary>
internal sealed class ScopeState
{
    public static readonly ScopeState Empty = new([]);

    private ScopeState(KeyValuePair<string, string>[] tags) => Tags = tags;

    public KeyValuePair<string, string>[] Tags { get; }

    public ScopeState With(string key, string? value)
    {
        var index = Array.FindIndex(Tags, tag => string.Equals(tag.Key, key, StringComparison.Ordinal));
        if (value is null)
        {
            if (index < 0)
            {
                return this;
            }

            var removed = new KeyValuePair<string, string>[Tags.Length - 1];
            Array.Copy(Tags, 0, removed, 0, index);
            Array.Copy(Tags, index + 1, removed, index, Tags.Length - index - 1);
            return new ScopeState(removed);
        }

        var copy = new KeyValuePair<string, string>[index < 0 ? Tags.Length + 1 : Tags.Length];
        Array.Copy(Tags, copy, Tags.Length);
        copy[index < 0 ? Tags.Length : index] = new(key, value);
        return new ScopeState(copy);
    }

    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        var dictionary = new Dictionary<string, string>(Tags.Length, StringComparer.Ordinal);
        foreach (var tag in Tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        return dictionary;
    }
}
