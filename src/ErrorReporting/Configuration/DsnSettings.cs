using System.Reflection;

namespace ErrorReporting.Configuration;

/// <summary>
/// Which DSN the SDK would use, with ErrorReporting's one deviation from the SDK: an empty (or blank)
/// <see cref="SentryOptions.Dsn"/> disables reporting even when <c>SENTRY_DSN</c> is set (the SDK would fall back to
/// the variable).
/// </summary>
internal static class DsnSettings
{
    public const string EnvironmentVariable = "SENTRY_DSN";

    /// <summary>
    /// Gets the DSN reports go to: <see cref="SentryOptions.Dsn"/>; when it is <see langword="null"/>, the
    /// <c>SENTRY_DSN</c> environment variable, else the entry assembly's <see cref="DsnAttribute"/> (as the SDK reads
    /// them). <see langword="null"/> means reporting is off.
    /// </summary>
    public static string? Resolve(SentryOptions options)
    {
        if (options.Dsn is { } dsn)
        {
            return string.IsNullOrWhiteSpace(dsn) ? null : dsn;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        var fromAttribute = Assembly.GetEntryAssembly()?.GetCustomAttribute<DsnAttribute>()?.Dsn;
        return string.IsNullOrWhiteSpace(fromAttribute) ? null : fromAttribute;
    }
}
