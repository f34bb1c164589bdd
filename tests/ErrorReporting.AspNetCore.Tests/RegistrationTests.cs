using ErrorReporting.AspNetCore.Internal;
using ErrorReporting.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentry.AspNetCore;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>
/// What the registration methods put into the container, and how the options bind. Nothing is started, but building a
/// host with <c>UseSentry</c> creates Sentry's logger provider, which initialises the SDK: every test closes it.
/// </summary>
[Collection(SdkTests.Name)]
public sealed class RegistrationTests : IDisposable
{
    public void Dispose() => SentrySdk.Close();

    [Fact]
    public void PublicEntryPoints_NullArguments_Throw()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingAspNetCoreServiceCollectionExtensions.AddErrorReportingAspNetCore(null!));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingAspNetCoreServiceCollectionExtensions.AddErrorReportingAspNetCore(null!, _ => { }));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingAspNetCoreServiceCollectionExtensions.AddErrorReportingAspNetCore(null!, new ConfigurationBuilder().Build()));
        Assert.Throws<ArgumentNullException>("configure", () => services.AddErrorReportingAspNetCore((Action<ErrorReportingOptions>)null!));
        Assert.Throws<ArgumentNullException>("configuration", () => services.AddErrorReportingAspNetCore((IConfiguration)null!));
        Assert.Throws<ArgumentNullException>("builder", () => ErrorReportingWebHostBuilderExtensions.UseErrorReporting(null!));
        Assert.Throws<ArgumentNullException>("builder", () => ErrorReportingWebHostBuilderExtensions.UseErrorReporting(null!, _ => { }));
        Assert.Throws<ArgumentNullException>("httpContext", () => ErrorReportingHttpContextExtensions.GetErrorReportingEventId(null!));
        Assert.Empty(services);
    }

    [Fact]
    public void AddErrorReportingAspNetCore_CalledTwiceAndWithAddErrorReporting_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();

        services.AddErrorReporting(options => options.Environment = "a");
        services.AddErrorReportingAspNetCore();
        services.AddErrorReportingAspNetCore(options => options.Release = "b");

        Assert.Single(services, d => d.ServiceType == typeof(IExceptionHandler));
        Assert.Single(services, d => d.ServiceType == typeof(RequestExceptionReporter));
        Assert.Single(services, d => d.ServiceType == typeof(IDeveloperPageExceptionFilter));
        Assert.Single(services, d => d.ServiceType == typeof(IPostConfigureOptions<ProblemDetailsOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(IPostConfigureOptions<>) && d.ImplementationType == typeof(RequestPrivacySetup<>));
        Assert.Single(services, d => d.ServiceType == typeof(IErrorReporter));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;
        Assert.Equal("a", options.Environment);
        Assert.Equal("b", options.Release);
        Assert.False(provider.GetRequiredService<IErrorReporter>().IsEnabled);
    }

    [Fact]
    public void AddErrorReportingAspNetCore_AppHandlersRegisteredBefore_OursComesFirst()
    {
        var services = new ServiceCollection();
        services.AddSingleton<object>("unrelated");
        services.AddExceptionHandler<AppHandler>();
        services.AddExceptionHandler<OtherAppHandler>();

        services.AddErrorReportingAspNetCore();

        var handlers = services.Where(d => d.ServiceType == typeof(IExceptionHandler)).Select(d => d.ImplementationType).ToArray();
        Assert.Equal([typeof(ErrorReportingExceptionHandler), typeof(AppHandler), typeof(OtherAppHandler)], handlers);
    }

    [Fact]
    public void UseErrorReporting_BuiltApp_RegistersTheSdkTheHandlerAndTheRequestFilter()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });

        builder.WebHost.UseErrorReporting();

        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IStartupFilter) && d.ImplementationType?.Name == "SentryStartupFilter");
        Assert.Single(builder.Services, d => d.ServiceType == typeof(IExceptionHandler) && d.ImplementationType == typeof(ErrorReportingExceptionHandler));
        using var app = builder.Build();
        var sentryOptions = app.Services.GetRequiredService<IOptions<SentryAspNetCoreOptions>>().Value;
        Assert.Single(sentryOptions.GetAllEventProcessors().OfType<RequestPrivacyProcessor>());
        Assert.NotNull(sentryOptions.BackgroundWorker);
        Assert.Equal(ErrorReportingOptions.DefaultMaxItems, sentryOptions.MaxQueueItems);
        Assert.Equal(ErrorReportingOptions.DefaultMaxItems, sentryOptions.MaxCacheItems);
        Assert.False(sentryOptions.AttachStacktrace);
    }

    [Fact]
    public void UseErrorReporting_SentrySection_OverridesErrorReportingsDefaultsAndConfigureRunsLast()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sentry:Dsn"] = "http://key@127.0.0.1:9/1",
            ["Sentry:Environment"] = "staging",
            ["Sentry:Release"] = "shop@2.0",
            ["Sentry:MaxQueueItems"] = "50",
            ["Sentry:AttachStacktrace"] = "true",
            ["Sentry:SendDefaultPii"] = "true",
        });

        builder.WebHost.UseErrorReporting(options => options.Release = "shop@3.0");

        using var app = builder.Build();
        var sentryOptions = app.Services.GetRequiredService<IOptions<SentryAspNetCoreOptions>>().Value;
        Assert.Equal("http://key@127.0.0.1:9/1", sentryOptions.Dsn);
        Assert.Equal("staging", sentryOptions.Environment);
        Assert.Equal("shop@3.0", sentryOptions.Release);
        Assert.Equal(50, sentryOptions.MaxQueueItems);
        Assert.Equal(ErrorReportingOptions.DefaultMaxItems, sentryOptions.MaxCacheItems);
        Assert.True(sentryOptions.AttachStacktrace);
        Assert.True(sentryOptions.SendDefaultPii);
    }

    [Fact]
    public void UseErrorReporting_AspNetCoreSubSection_BindsTheIntegrationsOptionsAddingToTheDefaults()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sentry:AspNetCore:EventIdResponseHeader"] = "X-Error-Id",
            ["Sentry:AspNetCore:IncludeEventIdInProblemDetails"] = "false",
            ["Sentry:AspNetCore:DeniedRequestHeaders:0"] = "X-Tenant",
            ["Sentry:AspNetCore:SensitiveNames:0"] = "ssn",
        });

        builder.WebHost.UseErrorReporting();

        using var app = builder.Build();
        AssertBound(app.Services.GetRequiredService<IOptions<ErrorReportingAspNetCoreOptions>>().Value);
    }

    [Fact]
    public void AddErrorReportingAspNetCore_Configuration_BindsTheReporterAndTheAspNetCoreSubSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sentry:Environment"] = "staging",
            ["Sentry:Release"] = "shop@2.0",
            ["Sentry:SendDefaultPii"] = "true",
            ["Sentry:AspNetCore:EventIdResponseHeader"] = "X-Error-Id",
            ["Sentry:AspNetCore:IncludeEventIdInProblemDetails"] = "false",
            ["Sentry:AspNetCore:DeniedRequestHeaders:0"] = "X-Tenant",
            ["Sentry:AspNetCore:SensitiveNames:0"] = "ssn",
        }).Build();
        var services = new ServiceCollection();

        services.AddErrorReportingAspNetCore(configuration.GetSection("Sentry"));

        using var provider = services.BuildServiceProvider();
        var reporting = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;
        Assert.Equal("staging", reporting.Environment);
        Assert.Equal("shop@2.0", reporting.Release);
        Assert.True(reporting.SendDefaultPii);
        AssertBound(provider.GetRequiredService<IOptions<ErrorReportingAspNetCoreOptions>>().Value);
    }

    [Fact]
    public void ErrorReportingAspNetCoreOptions_Defaults_AreTheDocumentedOnes()
    {
        var options = new ErrorReportingAspNetCoreOptions();

        Assert.Equal("X-Sentry-Event-Id", options.EventIdResponseHeader);
        Assert.Equal(ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader, options.EventIdResponseHeader);
        Assert.Equal("eventId", ErrorReportingAspNetCoreOptions.ProblemDetailsEventIdKey);
        Assert.Equal("[Filtered]", ErrorReportingAspNetCoreOptions.FilteredValue);
        Assert.True(options.IncludeEventIdInProblemDetails);
        Assert.Equal(
            new[]
            {
                "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token", "X-Access-Token",
                "X-CSRF-Token", "X-XSRF-Token", "X-Amz-Security-Token", "Ocp-Apim-Subscription-Key", "X-Sentry-Auth",
                "Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP",
                "CF-Connecting-IP", "Fastly-Client-IP", "X-Original-For",
            }.Order(StringComparer.OrdinalIgnoreCase),
            options.DeniedRequestHeaders.Order(StringComparer.OrdinalIgnoreCase));
        Assert.Contains("authorization", options.DeniedRequestHeaders);
        Assert.Equal(["auth", "token", "secret", "passw", "pwd", "key", "code", "sig", "session", "cookie", "credential", "jwt", "csrf", "xsrf", "saml"], options.SensitiveNames);
        Assert.Equal("AspNetCore.ExceptionHandler", AspNetCoreMechanisms.ExceptionHandler);
        Assert.Equal("AspNetCore.DeveloperExceptionPage", AspNetCoreMechanisms.DeveloperExceptionPage);
    }

    [Fact]
    public void GetErrorReportingEventId_NothingReported_ReturnsEmpty()
        => Assert.Equal(SentryId.Empty, new DefaultHttpContext().GetErrorReportingEventId());

    [Fact]
    public void GetErrorReportingEventId_Reported_ReturnsTheId()
    {
        var id = SentryId.Create();
        var context = new DefaultHttpContext();
        context.Features.Set(new ErrorReportingFeature { EventId = id });

        Assert.Equal(id, context.GetErrorReportingEventId());
    }

    [Fact]
    public void ProblemDetailsEventIdSetup_Disabled_LeavesCustomizeAsItIs()
    {
        Action<ProblemDetailsContext> own = _ => { };
        var problemDetails = new ProblemDetailsOptions { CustomizeProblemDetails = own };

        new ProblemDetailsEventIdSetup(Options.Create(new ErrorReportingAspNetCoreOptions { IncludeEventIdInProblemDetails = false })).PostConfigure(null, problemDetails);

        Assert.Same(own, problemDetails.CustomizeProblemDetails);
    }

    [Fact]
    public void ProblemDetailsEventIdSetup_Enabled_AddsTheIdOnlyWhenOneWasReported()
    {
        var problemDetails = new ProblemDetailsOptions();
        new ProblemDetailsEventIdSetup(Options.Create(new ErrorReportingAspNetCoreOptions())).PostConfigure(null, problemDetails);
        var id = SentryId.Create();
        var reported = new DefaultHttpContext();
        reported.Features.Set(new ErrorReportingFeature { EventId = id });
        var withId = new ProblemDetailsContext { HttpContext = reported };
        var withoutId = new ProblemDetailsContext { HttpContext = new DefaultHttpContext() };

        problemDetails.CustomizeProblemDetails!(withId);
        problemDetails.CustomizeProblemDetails(withoutId);

        Assert.Equal(id.ToString(), withId.ProblemDetails.Extensions["eventId"]);
        Assert.False(withoutId.ProblemDetails.Extensions.ContainsKey("eventId"));
    }

    private static void AssertBound(ErrorReportingAspNetCoreOptions aspNetCore)
    {
        Assert.Equal("X-Error-Id", aspNetCore.EventIdResponseHeader);
        Assert.False(aspNetCore.IncludeEventIdInProblemDetails);
        Assert.Contains("X-Tenant", aspNetCore.DeniedRequestHeaders);
        Assert.Contains("Authorization", aspNetCore.DeniedRequestHeaders);
        Assert.Contains("ssn", aspNetCore.SensitiveNames);
        Assert.Contains("token", aspNetCore.SensitiveNames);
    }

    private sealed class AppHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }

    private sealed class OtherAppHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }
}
