using System.Net;
using ErrorReporting.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>The integration's options, set in code or in the <c>"Sentry"</c> section, change what a real application answers and sends.</summary>
[Collection(SdkTests.Name)]
public sealed class OptionsTests
{
    [Fact]
    public async Task UseErrorReporting_EverythingFromTheSentrySection_DsnEnvironmentReleaseAndAspNetCoreOptionsApply()
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/orders/{id}", (int id) => ThrowFailure()),
            new WebAppSettings
            {
                Registration = Registration.UseErrorReportingFromConfiguration,
                SentrySection = new Dictionary<string, string?>
                {
                    ["Environment"] = "staging",
                    ["Release"] = "shop@2.0.0",
                    ["AspNetCore:EventIdResponseHeader"] = "X-Error-Id",
                    ["AspNetCore:DeniedRequestHeaders:0"] = "X-Tenant",
                },
            });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/1", UriKind.Relative));
        request.Headers.Add("X-Tenant", "acme");

        using var response = await web.SendAsync(request);

        var problemId = await WebApp.ReadEventIdAsync(response);
        Assert.NotNull(problemId);
        Assert.Equal(problemId, WebApp.HeaderOrNull(response, "X-Error-Id"));
        Assert.Null(WebApp.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        var received = await web.Sentry.WaitForEventAsync(problemId, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.Equal("staging", received.Environment);
        Assert.Equal("shop@2.0.0", received.Release);
        Assert.False(received.Request!.Headers.ContainsKey("X-Tenant"));
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
    }

    [Theory]
    [InlineData(Registration.UseErrorReporting)]
    [InlineData(Registration.AddErrorReportingAspNetCoreOnly)]
    public async Task EventIdResponseHeader_Custom_IdInThatHeaderOnly(Registration registration)
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            new WebAppSettings
            {
                Registration = registration,
                AfterRegistration = builder => builder.Services.Configure<ErrorReportingAspNetCoreOptions>(options => options.EventIdResponseHeader = " X-Error-Id "),
            });

        using var response = await web.GetAsync("/fail");

        var problemId = await WebApp.ReadEventIdAsync(response);
        Assert.NotNull(problemId);
        Assert.Equal(problemId, WebApp.HeaderOrNull(response, "X-Error-Id"));
        Assert.Null(WebApp.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        await web.Sentry.WaitForEventAsync(problemId, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task EventIdResponseHeader_NullOrBlank_NoHeaderButProblemDetailsId(string? header)
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            new WebAppSettings { AfterRegistration = builder => builder.Services.Configure<ErrorReportingAspNetCoreOptions>(options => options.EventIdResponseHeader = header) });

        using var response = await web.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(WebApp.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        Assert.DoesNotContain(response.Headers, h => h.Value.Any(v => v.Length == 32));
        var problemId = await WebApp.ReadEventIdAsync(response);
        Assert.NotNull(problemId);
        var received = Assert.Single(await web.Sentry.WaitForEventsAsync(1, WebApp.WaitTimeout));
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.Equal(problemId, received.EventId);
    }

    [Fact]
    public async Task IncludeEventIdInProblemDetails_False_HeaderOnly()
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            new WebAppSettings { AfterRegistration = builder => builder.Services.Configure<ErrorReportingAspNetCoreOptions>(options => options.IncludeEventIdInProblemDetails = false) });

        using var response = await web.GetAsync("/fail");

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await WebApp.ReadEventIdAsync(response));
        var headerId = WebApp.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader);
        Assert.NotNull(headerId);
        var received = Assert.Single(await web.Sentry.WaitForEventsAsync(1, WebApp.WaitTimeout));
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.Equal(headerId, received.EventId);
        Assert.False(received.Handled);
    }

    [Fact]
    public async Task IncludeEventIdInProblemDetails_FromTheSection_False_HeaderOnly()
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            new WebAppSettings
            {
                Registration = Registration.UseErrorReportingFromConfiguration,
                SentrySection = new Dictionary<string, string?> { ["AspNetCore:IncludeEventIdInProblemDetails"] = "false" },
            });

        using var response = await web.GetAsync("/fail");

        Assert.Null(await WebApp.ReadEventIdAsync(response));
        Assert.NotNull(WebApp.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        await web.Sentry.WaitForEventsAsync(1, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
    }

    [Fact]
    public async Task CustomizeProblemDetails_ApplicationsOwn_RunsAfterAndSeesTheEventId()
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            new WebAppSettings
            {
                BeforeRegistration = builder => builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
                    context.ProblemDetails.Extensions["supportCode"] = "SUP-" + context.ProblemDetails.Extensions[ErrorReportingAspNetCoreOptions.ProblemDetailsEventIdKey]),
            });

        using var response = await web.GetAsync("/fail");

        var json = await WebApp.ReadJsonAsync(response);
        var received = await web.AssertOneEventAsync(response);
        Assert.Equal("SUP-" + received.EventId, json.GetProperty("supportCode").GetString());
    }

    private static void ThrowFailure() => throw new InvalidOperationException("Failure.");
}
