namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// The Sentry SDK's hub is process-global (<c>SentrySdk</c>): every test that initialises it, or reads the global hub,
/// runs in this collection, one at a time and after the parallel tests, and leaves the SDK closed.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedSentrySdk
{
    public const string Name = "Sentry SDK (process-global)";
}
