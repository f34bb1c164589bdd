using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ErrorReporting.AspNetCore.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddErrorReportingAspNetCore_NullArguments_Throw()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingAspNetCoreServiceCollectionExtensions.AddErrorReportingAspNetCore(null!));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingAspNetCoreServiceCollectionExtensions.AddErrorReportingAspNetCore(null!, _ => { }));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingAspNetCoreServiceCollectionExtensions.AddErrorReportingAspNetCore(null!, new ConfigurationBuilder().Build()));
        Assert.Throws<ArgumentNullException>("configure", () => services.AddErrorReportingAspNetCore((Action<ErrorReportingOptions>)null!));
        Assert.Throws<ArgumentNullException>("configuration", () => services.AddErrorReportingAspNetCore((IConfiguration)null!));
    }

    [Fact]
    public void AddErrorReportingAspNetCore_CalledTwiceAndWithAddErrorReporting_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();

        services.AddErrorReporting(options => options.Environment = "a");
        services.AddErrorReportingAspNetCore();
        services.AddErrorReportingAspNetCore(options => options.Release = "b");

        Assert.Single(services, d => d.ServiceType == typeof(IExceptionHandler));
        Assert.Single(services, d => d.ServiceType == typeof(IStartupFilter));
        Assert.Single(services, d => d.ServiceType == typeof(IDeveloperPageExceptionFilter));
        Assert.Single(services, d => d.ServiceType == typeof(IPostConfigureOptions<ProblemDetailsOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(IErrorReporter));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;
        Assert.Equal("a", options.Environment);
        Assert.Equal("b", options.Release);
        Assert.False(provider.GetRequiredService<IErrorReporter>().IsEnabled);
    }

    [Fact]
    public void AddErrorReportingAspNetCore_AppHandlerRegisteredBefore_ReporterHandlerComesFirst()
    {
        var services = new ServiceCollection();
        services.AddExceptionHandler<AppHandler>();

        services.AddErrorReportingAspNetCore();

        var handlers = services.Where(d => d.ServiceType == typeof(IExceptionHandler)).Select(d => d.ImplementationType).ToArray();
        Assert.Equal([typeof(ErrorReportingExceptionHandler), typeof(AppHandler)], handlers);
    }

    [Fact]
    public void AddErrorReportingAspNetCore_Configuration_BindsReporterAndAspNetCoreSubSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ErrorReporting:Environment"] = "staging",
            ["ErrorReporting:Release"] = "shop@2.0",
            ["ErrorReporting:SendDefaultPii"] = "true",
            ["ErrorReporting:AspNetCore:EventIdResponseHeader"] = "X-Error-Id",
            ["ErrorReporting:AspNetCore:IncludeEventIdInProblemDetails"] = "false",
            ["ErrorReporting:AspNetCore:SendRequestHeaders"] = "false",
            ["ErrorReporting:AspNetCore:DeniedRequestHeaders:0"] = "X-Tenant",
            ["ErrorReporting:AspNetCore:SensitiveNames:0"] = "ssn",
        }).Build();
        var services = new ServiceCollection();

        services.AddErrorReportingAspNetCore(configuration.GetSection("ErrorReporting"));

        using var provider = services.BuildServiceProvider();
        var reporting = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;
        var aspNetCore = provider.GetRequiredService<IOptions<ErrorReportingAspNetCoreOptions>>().Value;
        Assert.Equal("staging", reporting.Environment);
        Assert.Equal("shop@2.0", reporting.Release);
        Assert.True(reporting.SendDefaultPii);
        Assert.Equal("X-Error-Id", aspNetCore.EventIdResponseHeader);
        Assert.False(aspNetCore.IncludeEventIdInProblemDetails);
        Assert.False(aspNetCore.SendRequestHeaders);
        Assert.Contains("X-Tenant", aspNetCore.DeniedRequestHeaders);
        Assert.Contains("Authorization", aspNetCore.DeniedRequestHeaders);
        Assert.Contains("ssn", aspNetCore.SensitiveNames);
        Assert.Contains("token", aspNetCore.SensitiveNames);
    }

    [Fact]
    public void ErrorReportingAspNetCoreOptions_Defaults_AreDocumented()
    {
        var options = new ErrorReportingAspNetCoreOptions();

        Assert.Equal("X-Sentry-Event-Id", options.EventIdResponseHeader);
        Assert.True(options.IncludeEventIdInProblemDetails);
        Assert.True(options.SendRequestHeaders);
        foreach (var header in new[] { "Authorization", "authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Forwarded-For", "Forwarded" })
        {
            Assert.Contains(header, options.DeniedRequestHeaders);
        }

        Assert.Equal(["auth", "token", "secret", "passw", "pwd", "key", "code", "sig", "session", "cookie", "credential", "jwt", "csrf", "xsrf", "saml"], options.SensitiveNames);
    }

    private sealed class AppHandler : IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }
}
