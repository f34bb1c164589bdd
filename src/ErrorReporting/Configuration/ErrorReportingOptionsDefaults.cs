using System.Reflection;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Configuration;

/// <summary>
/// Fills <see cref="ErrorReportingOptions.Dsn"/>, <see cref="ErrorReportingOptions.Environment"/> and
/// <see cref="ErrorReportingOptions.Release"/> where the application left them unset, the way Sentry's SDKs do:
/// from <c>SENTRY_DSN</c>, <c>SENTRY_ENVIRONMENT</c>, <c>SENTRY_RELEASE</c>, then defaults.
/// </summary>
internal sealed class ErrorReportingOptionsDefaults : IPostConfigureOptions<ErrorReportingOptions>
{
    internal const string DefaultEnvironment = "production";

    private readonly Func<string, string?> _getEnvironmentVariable;

    public ErrorReportingOptionsDefaults()
        : this(System.Environment.GetEnvironmentVariable)
    {
    }

    internal ErrorReportingOptionsDefaults(Func<string, string?> getEnvironmentVariable) => _getEnvironmentVariable = getEnvironmentVariable;

    public void PostConfigure(string? name, ErrorReportingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Dsn ??= _getEnvironmentVariable("SENTRY_DSN");
        options.Environment ??= NullIfBlank(_getEnvironmentVariable("SENTRY_ENVIRONMENT")) ?? DefaultEnvironment;
        options.Release ??= NullIfBlank(_getEnvironmentVariable("SENTRY_RELEASE")) ?? EntryAssemblyRelease();
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? EntryAssemblyRelease()
    {
        var assembly = Assembly.GetEntryAssembly();
        var name = assembly?.GetName().Name;
        var version = assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly?.GetName().Version?.ToString();
        return name is null || version is null ? null : $"{name}@{version}";
    }
}
