namespace ErrorReporting.Hosting;

/// <summary>
/// The process-wide hooks that report exceptions nobody caught.
/// </summary>
internal static class UnhandledExceptionHooks
{
    /// <summary>The mechanism of exceptions caught by <see cref="AppDomain.UnhandledException"/>.</summary>
    public const string AppDomainMechanism = "AppDomain.UnhandledException";

    /// <summary>The mechanism of exceptions caught by <see cref="TaskScheduler.UnobservedTaskException"/>.</summary>
    public const string UnobservedTaskMechanism = "UnobservedTaskException";
}
