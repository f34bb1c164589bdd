using ErrorReporting.Configuration;
using ErrorReporting.Hosting;
using ErrorReporting.Reporting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ErrorReporting;

/// <summary>
/// Registers ErrorReporting in an <see cref="IServiceCollection"/>: <see cref="IErrorReporter"/> over the Sentry SDK's
/// hub, and ErrorReporting's delivery engine as the SDK's background worker.
/// </summary>
/// <remarks>
/// <para>
/// One Sentry per process: ErrorReporting initialises the SDK (with <see cref="ErrorReportingOptions"/>) only when nothing
/// else does, when the host starts or, without a host, when <see cref="IErrorReporter"/> is first resolved. Beside
/// <c>UseSentry()</c> or <c>AddSentry()</c>, in either order, the SDK is initialised once, by them, with their options,
/// into which ErrorReporting installs its delivery engine; after <c>SentrySdk.Init</c>, the hub it made is used.
/// </para>
/// <para>
/// The methods are safe to call more than once: services are registered once; every configuration applies, in order.
/// They live in the <c>ErrorReporting</c> namespace, as Microsoft's guidance for non-Microsoft packages asks.
/// </para>
/// </remarks>
public static class ErrorReportingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IErrorReporter"/> as a singleton, configured by <see cref="ErrorReportingOptions"/> and the
    /// SDK's <c>SENTRY_DSN</c>, <c>SENTRY_ENVIRONMENT</c> and <c>SENTRY_RELEASE</c> environment variables.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReporting(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(SentryConnection)))
        {
            return services;
        }

        services.AddOptionsWithValidateOnStart<ErrorReportingOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ErrorReportingOptions>, ErrorReportingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IPostConfigureOptions<>), typeof(SentryOptionsSetup<>)));
        services.TryAddSingleton<EngineRegistry>();
        services.TryAddSingleton<ReportedExceptions>();
        services.TryAddSingleton<SentryConnection>();
        services.TryAddSingleton(static sp => sp.GetRequiredService<SentryConnection>().Reporter);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ErrorReportingHostedService>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/> as a singleton, configured by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (the SDK's <see cref="Sentry.SentryOptions"/> and ErrorReporting's additions).</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReporting(this IServiceCollection services, Action<ErrorReportingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddErrorReporting();
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/> as a singleton, configured by a configuration section whose keys are the
    /// SDK's option names, such as <c>builder.Configuration.GetSection("Sentry")</c>. Binding uses the
    /// configuration-binding source generator (no reflection; Native AOT compatible).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReporting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddErrorReporting();
        services.AddSingleton<IConfigureOptions<ErrorReportingOptions>>(new ConfigurationSectionSetup(configuration));
        return services;
    }
}
