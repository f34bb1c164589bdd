namespace ErrorReporting.AspNetCore.Tests.Infrastructure;

/// <summary>
/// The Sentry SDK's hub is process-global (<c>SentrySdk</c>): every test that starts an application, builds a container
/// with the integration or initialises the SDK runs in this collection, one at a time, and closes the SDK afterwards.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SdkTests
{
    public const string Name = "Sentry SDK (process-global)";
}
