using Microsoft.Extensions.Options;

namespace ErrorReporting.Configuration;

/// <summary>
/// Validates <see cref="ErrorReportingOptions"/> at start-up: the DSN's shape, ranges, and the tag dictionary. Every
/// message names the option. (Plain code rather than data annotations: it keeps DataAnnotations off the start-up path.)
/// </summary>
internal sealed class ErrorReportingOptionsValidator : IValidateOptions<ErrorReportingOptions>
{
    internal static readonly TimeSpan MaxShutdownTimeout = TimeSpan.FromMinutes(10);
    internal static readonly TimeSpan MaxSendTimeout = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, ErrorReportingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;

        if (!string.IsNullOrWhiteSpace(options.Dsn) && !Dsn.TryParse(options.Dsn, out _, out var error))
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.Dsn)} is not a valid Sentry DSN: {error}.");
        }

        Range(ref failures, nameof(ErrorReportingOptions.MaxQueueItems), options.MaxQueueItems, 1, 1_000_000);
        Range(ref failures, nameof(ErrorReportingOptions.MaxCacheItems), options.MaxCacheItems, 1, 1_000_000);
        if (!(options.SampleRate >= 0 && options.SampleRate <= 1))
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.SampleRate)} is {options.SampleRate}; expected a number from 0 to 1.");
        }

        foreach (var tag in options.DefaultTags)
        {
            if (string.IsNullOrWhiteSpace(tag.Key))
            {
                (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.DefaultTags)} contains an empty key.");
            }
        }

        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > MaxShutdownTimeout)
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.ShutdownTimeout)} is {options.ShutdownTimeout}; expected from 00:00:00 to {MaxShutdownTimeout}.");
        }

        if (options.SendTimeout <= TimeSpan.Zero || options.SendTimeout > MaxSendTimeout)
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.SendTimeout)} is {options.SendTimeout}; expected more than 00:00:00 and at most {MaxSendTimeout}.");
        }

        if (options.CacheDirectory is { } cache && (cache.Trim().Length == 0 || cache.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.CacheDirectory)} '{cache}' is not a usable folder path.");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(ref List<string>? failures, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{name} is {value}; expected from {min} to {max}.");
        }
    }
}
