using Sentry.Extensibility;

namespace ErrorReporting.Processors;

/// <summary>
/// Sentry's size limits applied before an event leaves the process, which the SDK does not do: Relay keeps the first
/// 8,192 characters of a message and of an exception value, but refuses an event over 1 MiB outright (413), so a
/// 1 MB message would lose the whole event. Values are cut at <see cref="MaxValueLength"/> characters, never inside a
/// surrogate pair.
/// </summary>
internal sealed class SentryLimits : ISentryEventProcessor
{
    /// <summary>Relay's limit of <c>logentry.message</c> and <c>exception.values[].value</c>.</summary>
    public const int MaxValueLength = 8192;

    public SentryEvent? Process(SentryEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (@event.Message is { } message)
        {
            message.Message = Cut(message.Message);
            message.Formatted = Cut(message.Formatted);
        }

        if (@event.SentryExceptions is { } exceptions)
        {
            foreach (var exception in exceptions)
            {
                exception.Value = Cut(exception.Value);
            }
        }

        return @event;
    }

    /// <summary>Returns <paramref name="value"/> cut to <see cref="MaxValueLength"/> characters, keeping a surrogate pair whole.</summary>
    internal static string? Cut(string? value)
    {
        if (value is null || value.Length <= MaxValueLength)
        {
            return value;
        }

        var length = char.IsHighSurrogate(value[MaxValueLength - 1]) ? MaxValueLength - 1 : MaxValueLength;
        return value[..length];
    }
}
