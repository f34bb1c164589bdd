using System.Net;
using ErrorReporting.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>The integration's options change what a real application answers and sends.</summary>
public sealed class OptionsTests
{
    [Fact]
    public async Task EventIdResponseHeader_Custom_IdInThatHeaderOnly()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            configureBuilder: builder => builder.Services.Configure<ErrorReportingAspNetCoreOptions>(options => options.EventIdResponseHeader = "X-Error-Id"));

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));

        var problemId = await WebAppHarness.ReadEventIdAsync(response);
        Assert.NotNull(problemId);
        Assert.Equal(problemId, WebAppHarness.HeaderOrNull(response, "X-Error-Id"));
        Assert.Null(WebAppHarness.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        await harness.Sentry.WaitForEventAsync(problemId, WebAppHarness.WaitTimeout);
    }

    [Fact]
    public async Task EventIdResponseHeaderNullAndProblemDetailsOff_ReportedWithoutTellingTheClient()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", ThrowFailure),
            configureBuilder: builder => builder.Services.Configure<ErrorReportingAspNetCoreOptions>(options =>
            {
                options.EventIdResponseHeader = null;
                options.IncludeEventIdInProblemDetails = false;
            }));

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(await WebAppHarness.ReadEventIdAsync(response));
        Assert.Null(WebAppHarness.HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        var received = Assert.Single(await harness.Sentry.WaitForEventsAsync(1, WebAppHarness.WaitTimeout));
        Assert.False(received.Handled);
    }

    [Fact]
    public async Task SetErrorReportingTag_ConcurrentRequests_EachEventCarriesItsOwnRequestsTag()
    {
        const int Requests = 8;
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/tenant/{name}", async (string name, HttpContext context) =>
            {
                context.SetErrorReportingTag("tenant", name);
                await Task.Yield();
                throw new InvalidOperationException($"Failed for {name}.");
            }));

        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            using var response = await harness.Client.GetAsync(new Uri($"/tenant/t{i}", UriKind.Relative));
            return (Tenant: $"t{i}", EventId: await WebAppHarness.ReadEventIdAsync(response));
        }));
        var events = await harness.Sentry.WaitForEventsAsync(Requests, WebAppHarness.WaitTimeout);

        var byId = events.ToDictionary(e => e.EventId!);
        foreach (var (tenant, eventId) in responses)
        {
            Assert.Equal(tenant, byId[eventId!].Tags["tenant"]);
            Assert.Equal($"Failed for {tenant}.", byId[eventId!].Exceptions[^1].Value);
        }
    }

    private static void ThrowFailure() => throw new InvalidOperationException("Failure.");
}
