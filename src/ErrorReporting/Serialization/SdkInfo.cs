using System.Reflection;

namespace ErrorReporting.Serialization;

/// <summary>This library's identity on the wire: <c>sdk</c> in events and envelope headers, <c>sentry_client</c>, <c>User-Agent</c>.</summary>
internal static class SdkInfo
{
    public const string Name = "errorreporting.dotnet";
    public const string PackageName = "nuget:ErrorReporting";

    public static readonly string Version = ReadVersion();

    /// <summary>Gets <c>errorreporting.dotnet/{version}</c>.</summary>
    public static readonly string ClientName = $"{Name}/{Version}";

    private static string ReadVersion()
    {
        var assembly = typeof(SdkInfo).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (informational is not null)
        {
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }

        return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
