using Microsoft.Extensions.Options;

namespace ErrorReporting.Configuration;

/// <summary>
/// Validates <see cref="ErrorReportingOptions"/> at start-up, so that a bad value fails there and never at the first
/// report: the DSN (by the rules of the SDK's parser, see <see cref="DsnCheck"/>), the values the SDK's setters
/// rejected during configuration binding, and ranges the SDK leaves open. Every message names the option and none
/// contains the DSN's keys.
/// </summary>
internal sealed class ErrorReportingOptionsValidator : IValidateOptions<ErrorReportingOptions>
{
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);
    internal const int MaxItems = 1_000_000;

    public ValidateOptionsResult Validate(string? name, ErrorReportingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;

        if (DsnSettings.Resolve(options) is { } dsn && DsnCheck.FindProblem(dsn) is { } error)
        {
            var source = options.Dsn is null ? $" (read from {DsnSettings.EnvironmentVariable})" : string.Empty;
            Fail(ref failures, nameof(options.Dsn), $"is not a valid Sentry DSN{source}: {error}");
        }

        foreach (var rejected in options.RejectedConfiguration)
        {
            Fail(ref failures, $"{nameof(ErrorReportingOptions)}.{rejected}");
        }

        Range(ref failures, nameof(options.MaxQueueItems), options.MaxQueueItems);
        Range(ref failures, nameof(options.MaxCacheItems), options.MaxCacheItems);
        Range(ref failures, nameof(options.ShutdownTimeout), options.ShutdownTimeout, allowZero: true);
        Range(ref failures, nameof(options.FlushTimeout), options.FlushTimeout, allowZero: true);
        Range(ref failures, nameof(options.SendTimeout), options.SendTimeout, allowZero: false);

        if (options.CacheDirectoryPath is { } cache && (cache.Trim().Length == 0 || cache.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            Fail(ref failures, nameof(options.CacheDirectoryPath), $"'{cache}' is not a usable folder path");
        }

        foreach (var tag in options.DefaultTags)
        {
            if (string.IsNullOrWhiteSpace(tag.Key))
            {
                Fail(ref failures, nameof(options.DefaultTags), "contains an empty key");
            }
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(ref List<string>? failures, string option, int value)
    {
        if (value > MaxItems)
        {
            Fail(ref failures, option, $"is {value}; expected from 1 to {MaxItems}");
        }
    }

    private static void Range(ref List<string>? failures, string option, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > MaxTimeout)
        {
            Fail(ref failures, option, $"is {value}; expected {(allowZero ? "from" : "more than")} 00:00:00 {(allowZero ? "to" : "and at most")} {MaxTimeout}");
        }
    }

    private static void Fail(ref List<string>? failures, string option, string problem)
        => Fail(ref failures, $"{nameof(ErrorReportingOptions)}.{option} {problem}.");

    private static void Fail(ref List<string>? failures, string message) => (failures ??= []).Add(message);
}
