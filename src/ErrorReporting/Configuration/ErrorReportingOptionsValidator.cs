using Microsoft.Extensions.Options;

namespace ErrorReporting.Configuration;

/// <summary>
/// Validates the data-annotation ranges of <see cref="ErrorReportingOptions"/> (generated at compile time).
/// </summary>
[OptionsValidator]
internal sealed partial class ErrorReportingOptionsRangeValidator : IValidateOptions<ErrorReportingOptions>
{
}

/// <summary>
/// Validates what data annotations cannot express: the DSN's shape and the tag dictionaries.
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

        if (double.IsNaN(options.SampleRate))
        {
            (failures ??= []).Add($"{nameof(ErrorReportingOptions)}.{nameof(ErrorReportingOptions.SampleRate)} is NaN; expected a number from 0 to 1.");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
