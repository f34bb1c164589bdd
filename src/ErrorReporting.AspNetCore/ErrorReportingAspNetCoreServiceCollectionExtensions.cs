using ErrorReporting.AspNetCore;
using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ErrorReporting;

/// <summary>
/// Registers the error reporter with its ASP.NET Core integration in an <see cref="IServiceCollection"/>.
/// </summary>
/// <remarks>
/// <para>
/// The overloads mirror <c>AddErrorReporting</c>, which they call: <c>AddErrorReportingAspNetCore(...)</c> is the one
/// line a web application needs instead of <c>AddErrorReporting(...)</c>. They register:
/// </para>
/// <list type="bullet">
/// <item>an <see cref="IExceptionHandler"/>, placed before the handlers already registered, which reports every
/// exception that reaches <c>app.UseExceptionHandler()</c> as <c>handled: no</c> (mechanism
/// <see cref="AspNetCoreMechanisms.ExceptionHandler"/>) and returns <see langword="false"/>, so the application's error
/// response proceeds;</item>
/// <item>the event id in ProblemDetails responses (<c>extensions["eventId"]</c>) and in the <c>X-Sentry-Event-Id</c>
/// response header;</item>
/// <item>a startup filter that puts a middleware first in the pipeline: it begins an <see cref="ErrorReportingScope"/>
/// per request (see <see cref="ErrorReportingHttpContextExtensions.SetErrorReportingTag"/>) and reports exceptions
/// that escape the whole pipeline (mechanism <see cref="AspNetCoreMechanisms.UnhandledRequest"/>); no
/// <c>app.Use…</c> call is needed;</item>
/// <item>a developer-exception-page filter that reports the exceptions the page shows (mechanism
/// <see cref="AspNetCoreMechanisms.DeveloperExceptionPage"/>).</item>
/// </list>
/// <para>
/// <c>app.UseExceptionHandler()</c> without a path or delegate needs <c>services.AddProblemDetails()</c>; the
/// integration does not add it for you, because it changes other error responses of the application too.
/// The methods are safe to call more than once, and together with <c>AddErrorReporting</c>.
/// </para>
/// </remarks>
public static class ErrorReportingAspNetCoreServiceCollectionExtensions
{
    /// <summary>The sub-section of the configuration section bound to <see cref="ErrorReportingAspNetCoreOptions"/>.</summary>
    public const string AspNetCoreSectionName = "AspNetCore";

    /// <summary>
    /// Registers <see cref="IErrorReporter"/> (as <c>AddErrorReporting()</c> does, configured by
    /// <see cref="ErrorReportingOptions"/> and the <c>SENTRY_*</c> environment variables) and the ASP.NET Core integration.
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
        services.TryAddSingleton<ReportContextFactory>();
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, ErrorReportingStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ProblemDetailsOptions>, ProblemDetailsEventIdSetup>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/>, configured by <paramref name="configure"/> (as
    /// <c>AddErrorReporting(configure)</c> does), and the ASP.NET Core integration.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the reporter's options.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <remarks>Set the integration's own options with <c>services.Configure&lt;ErrorReportingAspNetCoreOptions&gt;(…)</c>.</remarks>
    public static IServiceCollection AddErrorReportingAspNetCore(this IServiceCollection services, Action<ErrorReportingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddErrorReporting(configure);
        return services.AddErrorReportingAspNetCore();
    }

    /// <summary>
    /// Registers <see cref="IErrorReporter"/>, configured by a configuration section whose keys are the names of
    /// <see cref="ErrorReportingOptions"/> properties (as <c>AddErrorReporting(configuration)</c> does), and the ASP.NET
    /// Core integration, configured by the section's <c>AspNetCore</c> sub-section (<see cref="ErrorReportingAspNetCoreOptions"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section to bind, for example <c>builder.Configuration.GetSection("ErrorReporting")</c>.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddErrorReportingAspNetCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddErrorReporting(configuration);
        services.AddErrorReportingAspNetCore();
        services.Configure<ErrorReportingAspNetCoreOptions>(configuration.GetSection(AspNetCoreSectionName));
        return services;
    }

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
