using ErrorReporting.Configuration;
using ErrorReporting.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ErrorReporting;

/// <summary>
/// Registers the error reporter in an <see cref="IServiceCollection"/>.
/// </summary>
/// <remarks>
/// The methods are safe to call more than once: services are registered once; every configuration applies, in order.
/// They live in the <c>ErrorReporting</c> namespace, as Microsoft's guidance for non-Microsoft packages asks.
/// </remarks>
public static class ErrorReportingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IErrorReporter"/> as a singleton, configured by <see cref="ErrorReportingOptions"/> and the
    /// <c>SENTRY_DSN</c>, <c>SENTRY_ENVIRONMENT</c> and <c>SENTRY_RELEASE</c> environment variables.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReporting(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(Registered)))
        {
            return services;
        }

        services.AddSingleton<Registered>();
        services.AddOptionsWithValidateOnStart<ErrorReportingOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ErrorReportingOptions>, ErrorReportingOptionsDefaults>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ErrorReportingOptions>, ErrorReportingOptionsValidator>());
        services.TryAddSingleton(ErrorReporterFactory.Create);
        services.TryAddSingleton<UnhandledExceptionHooks>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ErrorReportingHostedService>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/> as a singleton, configured by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
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
    /// names of <see cref="ErrorReportingOptions"/> properties (for example <c>builder.Configuration.GetSection("ErrorReporting")</c>).
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
        services.Configure<ErrorReportingOptions>(configuration);
        return services;
    }

    /// <summary>Marks a service collection in which the reporter's services are registered.</summary>
    private sealed class Registered;
}
