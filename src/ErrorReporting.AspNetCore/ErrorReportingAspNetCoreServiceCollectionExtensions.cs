using ErrorReporting.AspNetCore;
using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ErrorReporting;

/// <summary>
/// Registers ErrorReporting's ASP.NET Core integration in an <see cref="IServiceCollection"/>. Most applications call
/// <see cref="ErrorReportingWebHostBuilderExtensions.UseErrorReporting(Microsoft.AspNetCore.Hosting.IWebHostBuilder)"/>
/// instead, which registers this, the Sentry SDK's ASP.NET Core integration and the delivery engine in one call.
/// </summary>
/// <remarks>
/// <para>
/// The methods register what <c>AddErrorReporting</c> does, and:
/// </para>
/// <list type="bullet">
/// <item>an <see cref="IExceptionHandler"/>, placed before the handlers already registered, which reports every
/// exception that reaches <c>app.UseExceptionHandler()</c> as <c>handled: no</c> (mechanism
/// <see cref="AspNetCoreMechanisms.ExceptionHandler"/>) and returns <see langword="false"/>, so the application's error
/// response proceeds;</item>
/// <item>the event id in ProblemDetails responses (<c>extensions["eventId"]</c>) and in the <c>X-Sentry-Event-Id</c>
/// response header;</item>
/// <item>a developer-exception-page filter that reports the exceptions the page shows (mechanism
/// <see cref="AspNetCoreMechanisms.DeveloperExceptionPage"/>), and a logging rule that keeps Sentry's logger providers
/// from capturing the page's own log entry of the same exception first;</item>
/// <item>without <c>SendDefaultPii</c>, the removal of secrets from the request data <c>Sentry.AspNetCore</c> attaches
/// and from the URLs in breadcrumbs (<see cref="ErrorReportingAspNetCoreOptions.DeniedRequestHeaders"/>,
/// <see cref="ErrorReportingAspNetCoreOptions.SensitiveNames"/>).</item>
/// </list>
/// <para>
/// Request data (method, URL, route, headers, user) comes from <c>Sentry.AspNetCore</c>'s middleware, which
/// <c>UseSentry()</c> (or <c>UseErrorReporting()</c>) installs; without it, events carry no request. Either way there is
/// exactly one event per failed request. <c>app.UseExceptionHandler()</c> without a path or delegate needs
/// <c>services.AddProblemDetails()</c>; the integration does not add it for you, because it changes other error
/// responses of the application too. The methods are safe to call more than once.
/// </para>
/// </remarks>
public static class ErrorReportingAspNetCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IErrorReporter"/> (as <c>AddErrorReporting()</c> does) and the ASP.NET Core integration.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReportingAspNetCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddErrorReporting();
        if (services.Any(d => d.ServiceType == typeof(RequestExceptionReporter)))
        {
            return services;
        }

        services.AddOptions<ErrorReportingAspNetCoreOptions>();
        services.TryAddSingleton<RequestExceptionReporter>();

        // Exception handlers run in registration order and the first that returns true ends the chain: go first, so an
        // exception is reported even when one of the application's handlers turns it into a response.
        var handler = ServiceDescriptor.Singleton<IExceptionHandler, ErrorReportingExceptionHandler>();
        var first = IndexOfFirst(services, typeof(IExceptionHandler));
        if (first < 0)
        {
            services.Add(handler);
        }
        else
        {
            services.Insert(first, handler);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeveloperPageExceptionFilter, ErrorReportingDeveloperPageExceptionFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ProblemDetailsOptions>, ProblemDetailsEventIdSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IPostConfigureOptions<>), typeof(RequestPrivacySetup<>)));

        // The developer exception page logs the exception before it calls the filters; Sentry's logger providers would
        // capture that log entry as an event first, and the SDK would then drop the filter's report of the same
        // exception as a duplicate: no id for the page. Sentry.AspNetCore mutes the exception-handler middleware's
        // category in the same way (the handler reports before that middleware logs).
        services.Configure<LoggerFilterOptions>(static options =>
        {
            foreach (var provider in s_sentryLoggerProviders)
            {
                options.Rules.Add(new LoggerFilterRule(provider, DeveloperExceptionPageCategory, LogLevel.None, filter: null));
            }
        });
        return services;
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/>, configured by <paramref name="configure"/> (as
    /// <c>AddErrorReporting(configure)</c> does), and the ASP.NET Core integration.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options ErrorReporting initialises the SDK with when <c>UseSentry()</c> does not.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReportingAspNetCore(this IServiceCollection services, Action<ErrorReportingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddErrorReporting(configure);
        return services.AddErrorReportingAspNetCore();
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/>, configured by a configuration section whose keys are the SDK's option
    /// names (as <c>AddErrorReporting(configuration)</c> does), and the ASP.NET Core integration, whose options
    /// (<see cref="ErrorReportingAspNetCoreOptions"/>) come from the section's <c>AspNetCore</c> sub-section.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section, such as <c>builder.Configuration.GetSection("Sentry")</c>.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReportingAspNetCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddErrorReporting(configuration);
        services.AddErrorReportingAspNetCore();
        services.AddSingleton<IConfigureOptions<ErrorReportingAspNetCoreOptions>>(new AspNetCoreSectionSetup(configuration.GetSection(AspNetCoreSectionSetup.SectionName)));
        return services;
    }

    private const string DeveloperExceptionPageCategory = "Microsoft.AspNetCore.Diagnostics.DeveloperExceptionPageMiddleware";

    /// <summary>The logger providers of <c>UseSentry()</c> and of <c>builder.Logging.AddSentry()</c> (their full type names).</summary>
    private static readonly string[] s_sentryLoggerProviders = ["Sentry.AspNetCore.SentryAspNetCoreLoggerProvider", "Sentry.Extensions.Logging.SentryLoggerProvider"];

    private static int IndexOfFirst(IServiceCollection services, Type serviceType)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == serviceType)
            {
                return i;
            }
        }

        return -1;
    }
}
