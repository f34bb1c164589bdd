using ErrorReporting.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting;

/// <summary>
/// Error-reporting set-up on a built <see cref="IServiceProvider"/>, for applications without the generic host.
/// </summary>
public static class ErrorReportingServiceProviderExtensions
{
    /// <summary>
    /// Installs the hooks that report exceptions nobody caught (<see cref="AppDomain.UnhandledException"/> and
    /// <see cref="TaskScheduler.UnobservedTaskException"/>, as <see cref="ErrorReportingOptions"/> enables them).
    /// Apps on the generic host get them when the host starts and need not call this.
    /// </summary>
    /// <param name="services">The service provider in which <c>AddErrorReporting</c> registered the reporter.</param>
    /// <returns>A handle that uninstalls the hooks when disposed. Installing more than once installs once.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddErrorReporting</c> was not called on the service collection.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The <see cref="ErrorReportingOptions"/> are invalid (for example an invalid DSN).</exception>
    public static IDisposable InstallUnhandledExceptionHooks(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var hooks = services.GetService<UnhandledExceptionHooks>()
            ?? throw new InvalidOperationException("Call services.AddErrorReporting(...) before installing the unhandled-exception hooks.");
        return hooks.Install();
    }
}
