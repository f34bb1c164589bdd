namespace ErrorReporting.Serialization;

/// <summary>
/// Sentry's size limits, applied when an event is written (so they hold whatever <c>BeforeSend</c> did).
/// Strings are cut at a character boundary that never splits a surrogate pair; lone surrogates are written as U+FFFD.
/// </summary>
internal static class SentryLimits
{
    /// <summary><c>logentry.message</c> and <c>exception.value</c>: "must not exceed 8192 characters".</summary>
    public const int Message = 8192;

    /// <summary><c>exception.type</c> and <c>exception.module</c>.</summary>
    public const int ExceptionType = 256;

    /// <summary><c>mechanism.type</c>: an "enumlike" string.</summary>
    public const int MechanismType = 128;

    /// <summary>Tag keys: at most 32 characters of <c>a-z A-Z 0-9 _ . : -</c>.</summary>
    public const int TagKey = 32;

    /// <summary>Tag values: at most 200 characters, no line breaks.</summary>
    public const int TagValue = 200;

    /// <summary><c>environment</c>.</summary>
    public const int Environment = 64;

    /// <summary><c>release</c>.</summary>
    public const int Release = 200;

    /// <summary>Frame fields, user fields, request fields, server name, fingerprint parts and mechanism data values.</summary>
    public const int Field = 1024;

    /// <summary>Strings inside <c>extra</c>.</summary>
    public const int ExtraString = 16384;

    /// <summary>Nesting depth of values inside <c>extra</c>.</summary>
    public const int ExtraDepth = 8;

    /// <summary>Elements of one list or dictionary inside <c>extra</c>.</summary>
    public const int ExtraItems = 100;

    /// <summary>Sentry's limit for one event item (1 MiB); a larger event is written again without stack frames and extra data.</summary>
    public const int EventBytes = 1024 * 1024;

    public static ReadOnlySpan<char> Truncate(string value, int maxLength)
    {
        if (value.Length <= maxLength)
        {
            return value;
        }

        var length = maxLength;
        if (char.IsHighSurrogate(value[length - 1]))
        {
            length--;
        }

        return value.AsSpan(0, length);
    }

    public static bool IsValidTagKeyChar(char c)
        => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' or ':' or '-';

    /// <summary>Makes a tag key acceptable: invalid characters become <c>_</c>, then cut at 32. Empty for an unusable key.</summary>
    public static string TagKeyOf(string key)
    {
        var trimmed = key.Trim();
        var needsWork = trimmed.Length > TagKey;
        foreach (var c in trimmed)
        {
            needsWork |= !IsValidTagKeyChar(c);
        }

        if (!needsWork)
        {
            return trimmed;
        }

        var length = Math.Min(trimmed.Length, TagKey);
        return string.Create(length, trimmed, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = IsValidTagKeyChar(source[i]) ? source[i] : '_';
            }
        });
    }

    /// <summary>Makes a tag value acceptable: line breaks become spaces, then cut at 200. Empty for an unusable value.</summary>
    public static string TagValueOf(string value)
    {
        var trimmed = value.Trim();
        if (trimmed.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            trimmed = trimmed.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ');
        }

        return trimmed.Length <= TagValue ? trimmed : Truncate(trimmed, TagValue).ToString();
    }
}
