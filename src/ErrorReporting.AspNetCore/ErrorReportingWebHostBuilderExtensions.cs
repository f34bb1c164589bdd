using ErrorReporting.AspNetCore;
using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentry.AspNetCore;

namespace ErrorReporting;

/// <summary>
/// The one line an ASP.NET Core application needs: <c>builder.WebHost.UseErrorReporting();</c>.
/// </summary>
public static class ErrorReportingWebHostBuilderExtensions
{
    /// <summary>
    /// Registers the Sentry SDK with its ASP.NET Core integration (<c>UseSentry()</c>: request data, request scopes,
    /// tracing), ErrorReporting's delivery engine as the SDK's background worker, <see cref="IErrorReporter"/>, and the
    /// <c>IExceptionHandler</c> that reports exceptions escaping a request and returns their event id in ProblemDetails
    /// (see <see cref="ErrorReportingAspNetCoreServiceCollectionExtensions"/>), all configured from the <c>"Sentry"</c>
    /// configuration section (<see cref="SentryAspNetCoreOptions"/>; <see cref="ErrorReportingAspNetCoreOptions"/>
    /// from <c>"Sentry:AspNetCore"</c>).
    /// </summary>
    /// <param name="builder">The web host builder (<c>WebApplicationBuilder.WebHost</c>).</param>
    /// <returns>The <paramref name="builder"/>, so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>Call it instead of <c>UseSentry()</c>, not beside it (that would register the SDK's logger providers twice).</remarks>
    public static IWebHostBuilder UseErrorReporting(this IWebHostBuilder builder) => builder.UseErrorReporting(configure: null);

    /// <summary>
    /// Registers the Sentry SDK with its ASP.NET Core integration, ErrorReporting's delivery engine,
    /// <see cref="IErrorReporter"/> and the exception handler, from the <c>"Sentry"</c> configuration section, then
    /// <paramref name="configure"/>; see <see cref="UseErrorReporting(IWebHostBuilder)"/>.
    /// </summary>
    /// <param name="builder">The web host builder (<c>WebApplicationBuilder.WebHost</c>).</param>
    /// <param name="configure">Sets the SDK's options after the configuration section, or <see langword="null"/>.</param>
    /// <returns>The <paramref name="builder"/>, so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// ErrorReporting's defaults apply before the configuration section: <c>MaxQueueItems</c> and <c>MaxCacheItems</c>
    /// 1,000, and <c>AttachStacktrace</c> off (messages without the caller's stack trace). Without a DSN anywhere
    /// (options, <c>"Sentry:Dsn"</c>, <c>SENTRY_DSN</c>) the SDK and the reporter are disabled, where <c>UseSentry()</c>
    /// alone throws when the host is built.
    /// </remarks>
    public static IWebHostBuilder UseErrorReporting(this IWebHostBuilder builder, Action<SentryAspNetCoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Registered before UseSentry's configuration binding, so that the "Sentry" section and configure override them.
        builder.ConfigureServices(services => services.Configure<SentryAspNetCoreOptions>(static options =>
        {
            options.MaxQueueItems = ErrorReportingOptions.DefaultMaxItems;
            options.MaxCacheItems = ErrorReportingOptions.DefaultMaxItems;
            options.AttachStacktrace = false;
        }));
        builder.UseSentry(configure);

        // No DSN anywhere (options, "Sentry:Dsn", SENTRY_DSN, [assembly: Dsn]): a disabled SDK and reporter, as with
        // AddErrorReporting, instead of the SDK's ArgumentNullException when the host is built. An empty DSN still lets
        // the SDK read SENTRY_DSN and the assembly attribute.
        builder.ConfigureServices(services => services.PostConfigure<SentryAspNetCoreOptions>(static options => options.Dsn ??= ""));
        builder.ConfigureServices((context, services) =>
        {
            services.AddErrorReportingAspNetCore();
            services.AddSingleton<IConfigureOptions<ErrorReportingAspNetCoreOptions>>(
                new AspNetCoreSectionSetup(context.Configuration.GetSection("Sentry").GetSection(AspNetCoreSectionSetup.SectionName)));
        });
        return builder;
    }
}
