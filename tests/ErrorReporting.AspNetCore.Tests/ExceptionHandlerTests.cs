using System.Net;
using ErrorReporting.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>
/// Exceptions that escape a request of a real <see cref="WebApplication"/> (Kestrel on loopback), in every way the
/// integration can be registered, arrive at a Sentry-compatible server as exactly one event per failed request, whose
/// id the client gets in the ProblemDetails <c>eventId</c> and the <c>X-Sentry-Event-Id</c> header.
/// </summary>
[Collection(SdkTests.Name)]
public sealed class ExceptionHandlerTests
{
    private const string Header = ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader;

    public static TheoryData<Registration> AllRegistrations => new()
    {
        Registration.UseErrorReporting,
        Registration.UseErrorReportingFromConfiguration,
        Registration.UseSentryThenAddErrorReportingAspNetCore,
        Registration.AddErrorReportingAspNetCoreThenUseSentry,
        Registration.AddErrorReportingAspNetCoreOnly,
    };

    public static TheoryData<Registration> RegistrationsWithSentryMiddleware => new()
    {
        Registration.UseErrorReporting,
        Registration.UseErrorReportingFromConfiguration,
        Registration.UseSentryThenAddErrorReportingAspNetCore,
        Registration.AddErrorReportingAspNetCoreThenUseSentry,
    };

    [Theory]
    [MemberData(nameof(AllRegistrations))]
    public async Task UseExceptionHandler_EndpointThrows_OneUnhandledEventWhoseIdIsInProblemDetailsAndHeader(Registration registration)
    {
        await using var web = await StartOrdersAppAsync(new WebAppSettings { Registration = registration });

        using var response = await web.GetAsync("/orders/42");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var received = await web.AssertOneEventAsync(response);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
        Assert.Equal("error", received.Level);
        Assert.Equal(typeof(InvalidOperationException).FullName, received.Exceptions[^1].Type);
        Assert.Equal("Order 42 failed.", received.Exceptions[^1].Value);
        Assert.Equal(WebAppSettings.Environment, received.Environment);
        Assert.Equal(WebAppSettings.Release, received.Release);
        Assert.Equal("GET /orders/{id}", received.Transaction);
    }

    [Theory]
    [MemberData(nameof(RegistrationsWithSentryMiddleware))]
    public async Task UseExceptionHandler_SdkDeduplicationOff_SentrysMiddlewareDoesNotSendASecondEvent(Registration registration)
    {
        // Sentry's middleware captures the exception of IExceptionHandlerFeature again after the handler ran; without
        // the SDK's instance deduplication, only ErrorReporting's one-exception-one-event filter keeps it at one.
        await using var web = await StartOrdersAppAsync(new WebAppSettings { Registration = registration, ConfigureSdk = options => options.DeduplicateMode = DeduplicateMode.InnerException });

        using var response = await web.GetAsync("/orders/11");

        var received = await web.AssertOneEventAsync(response);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
    }

    [Theory]
    [MemberData(nameof(RegistrationsWithSentryMiddleware))]
    public async Task UseExceptionHandler_WithSentryMiddleware_EventCarriesTheRequest(Registration registration)
    {
        await using var web = await StartOrdersAppAsync(new WebAppSettings { Registration = registration });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/7?page=2&sort=name", UriKind.Relative));
        request.Headers.Add("X-Request-Id", "req-123");
        request.Headers.UserAgent.ParseAdd("tests/1.0");

        using var response = await web.SendAsync(request);

        var received = await web.AssertOneEventAsync(response);
        Assert.NotNull(received.Request);
        Assert.Equal("GET", received.Request.Method);
        Assert.Equal(new Uri(web.Client.BaseAddress!, "/orders/7").ToString(), received.Request.Url);
        Assert.Equal("?page=2&sort=name", received.Request.QueryString);
        Assert.Equal("req-123", received.Request.Headers["X-Request-Id"]);
        Assert.Equal("tests/1.0", received.Request.Headers["User-Agent"]);
        Assert.Equal(web.Client.BaseAddress!.Authority, received.Request.Headers["Host"]);
        Assert.Equal("GET /orders/{id}", received.Transaction);
    }

    [Fact]
    public async Task UseExceptionHandler_WithoutSentryMiddleware_EventHasNoRequestDataButTheRouteTemplate()
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapPost("/carts/{cartId}/items", (string cartId) => ThrowOrderFailed(1)),
            new WebAppSettings { Registration = Registration.AddErrorReportingAspNetCoreOnly });

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/carts/c1/items", UriKind.Relative));
        using var response = await web.SendAsync(request);

        var received = await web.AssertOneEventAsync(response);
        Assert.Null(received.Request?.Url);
        Assert.Null(received.Request?.Method);
        Assert.Equal("POST /carts/{cartId}/items", received.Transaction);
    }

    [Theory]
    [InlineData(Registration.UseErrorReporting)]
    [InlineData(Registration.AddErrorReportingAspNetCoreOnly)]
    public async Task UseExceptionHandler_MiddlewareThrowsAfterRouting_TransactionIsTheMatchedRouteTemplate(Registration registration)
    {
        await using var web = await WebApp.StartAsync(
            app =>
            {
                app.UseRouting();
                app.Use((HttpContext context, RequestDelegate next) =>
                    context.Request.Query.ContainsKey("boom") ? throw new InvalidDataException("Middleware failed.") : next(context));
                app.MapGet("/orders/{id}", (int id) => Results.Ok(id));
            },
            new WebAppSettings { Registration = registration });

        using var response = await web.GetAsync("/orders/5?boom=1");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var received = await web.AssertOneEventAsync(response);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
        Assert.Equal(typeof(InvalidDataException).FullName, received.Exceptions[^1].Type);
        Assert.Equal("GET /orders/{id}", received.Transaction);
    }

    [Theory]
    [MemberData(nameof(AllRegistrations))]
    public async Task UseExceptionHandler_AppReportedThenRethrew_OneHandledEventAndProblemDetailsCarriesTheAppsId(Registration registration)
    {
        var appId = new TaskCompletionSource<SentryId>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/rethrow", (IErrorReporter reporter) =>
            {
                try
                {
                    ThrowOrderFailed(3);
                }
                catch (Exception exception)
                {
                    appId.SetResult(reporter.ReportHandled(exception));
                    throw;
                }
            }),
            new WebAppSettings { Registration = registration });

        using var response = await web.GetAsync("/rethrow");

        var reportedByApp = await appId.Task.WaitAsync(WebApp.WaitTimeout);
        Assert.NotEqual(SentryId.Empty, reportedByApp);
        var received = await web.AssertOneEventAsync(response);
        Assert.Equal(reportedByApp.ToString(), received.EventId);
        Assert.True(received.Handled);
        Assert.Equal("generic", received.MechanismType);
    }

    [Theory]
    [InlineData(Registration.UseErrorReporting)]
    [InlineData(Registration.UseSentryThenAddErrorReportingAspNetCore)]
    [InlineData(Registration.AddErrorReportingAspNetCoreThenUseSentry)]
    public async Task NoExceptionHandler_ExceptionEscapesThePipeline_SentrysMiddlewareSendsOneUnhandledEvent(Registration registration)
    {
        await using var web = await StartOrdersAppAsync(new WebAppSettings { Registration = registration, UseExceptionHandler = false });

        using var response = await web.GetAsync("/orders/8");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(WebApp.HeaderOrNull(response, Header));
        var received = Assert.Single(await web.Sentry.WaitForEventsAsync(1, WebApp.WaitTimeout));
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.False(received.Handled);
        Assert.Equal("SentryMiddleware.UnhandledException", received.MechanismType);
        Assert.Equal("Order 8 failed.", received.Exceptions[^1].Value);
        Assert.Equal("GET", received.Request?.Method);
    }

    [Fact]
    public async Task NoExceptionHandlerAndNoSentryMiddleware_ExceptionEscapes_NothingReportsIt()
    {
        // The documented limit of AddErrorReportingAspNetCore alone: its IExceptionHandler needs app.UseExceptionHandler().
        await using var web = await StartOrdersAppAsync(new WebAppSettings { Registration = Registration.AddErrorReportingAspNetCoreOnly, UseExceptionHandler = false });

        using var response = await web.GetAsync("/orders/8");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(web.Reporter.IsEnabled);
        await web.SettleAsync();
        Assert.Empty(web.Sentry.Events);
    }

    [Fact]
    public async Task ResponseAlreadyStarted_ExceptionEscapes_SentrysMiddlewareSendsOneUnhandledEvent()
    {
        await using var web = await WebApp.StartAsync(app =>
            app.MapGet("/partial", async (HttpContext context) =>
            {
                await context.Response.WriteAsync("partial ");
                await context.Response.Body.FlushAsync();
                ThrowOrderFailed(2);
            }));

        // The server aborts the response it had started; the client sees a broken body.
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using var response = await web.GetAsync("/partial");
            await response.Content.ReadAsStringAsync();
        });

        var received = Assert.Single(await web.Sentry.WaitForEventsAsync(1, WebApp.WaitTimeout));
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.False(received.Handled);
        Assert.Equal("SentryMiddleware.UnhandledException", received.MechanismType);
    }

    [Fact]
    public async Task ConfigureScope_InsideTheRequest_TagsTheRequestsEventOnly()
    {
        await using var web = await WebApp.StartAsync(app =>
        {
            app.MapGet("/tenant/{name}", async (string name) =>
            {
                SentrySdk.ConfigureScope(scope => scope.SetTag("tenant", name));
                await Task.Yield();
                ThrowOrderFailed(9);
            });
            app.MapGet("/other", () => ThrowOrderFailed(10));
        });

        using var tenantResponse = await web.GetAsync("/tenant/acme");
        using var otherResponse = await web.GetAsync("/other");

        var tenantId = await WebApp.ReadEventIdAsync(tenantResponse);
        var otherId = await WebApp.ReadEventIdAsync(otherResponse);
        var tenantEvent = await web.Sentry.WaitForEventAsync(tenantId!, WebApp.WaitTimeout);
        var otherEvent = await web.Sentry.WaitForEventAsync(otherId!, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Equal(2, web.Sentry.Events.Count);
        Assert.Equal("acme", tenantEvent.Tags["tenant"]);
        Assert.False(otherEvent.Tags.ContainsKey("tenant"));
    }

    [Fact]
    public async Task ConfigureScope_ConcurrentRequests_EachEventCarriesItsOwnRequestsTag()
    {
        const int Requests = 8;
        await using var web = await WebApp.StartAsync(app =>
            app.MapGet("/tenant/{name}", async (string name) =>
            {
                SentrySdk.ConfigureScope(scope => scope.SetTag("tenant", name));
                await Task.Yield();
                throw new InvalidOperationException($"Failed for {name}.");
            }));

        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            using var response = await web.GetAsync($"/tenant/t{i}");
            return (Tenant: $"t{i}", EventId: await WebApp.ReadEventIdAsync(response));
        }));

        await web.Sentry.WaitForEventsAsync(Requests, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Equal(Requests, web.Sentry.Events.Count);
        var byId = web.Sentry.Events.ToDictionary(e => e.EventId!);
        foreach (var (tenant, eventId) in responses)
        {
            Assert.Equal(tenant, byId[eventId!].Tags["tenant"]);
            Assert.Equal($"Failed for {tenant}.", byId[eventId!].Exceptions[^1].Value);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AppExceptionHandler_ReturnsTrue_ExceptionStillReportedOnceBeforeIt(bool registeredBeforeTheIntegration)
    {
        Action<WebApplicationBuilder> addHandler = builder => builder.Services.AddExceptionHandler<NotFoundHandler>();
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/missing", () => ThrowNotFound()),
            new WebAppSettings
            {
                BeforeRegistration = registeredBeforeTheIntegration ? addHandler : null,
                AfterRegistration = registeredBeforeTheIntegration ? null : addHandler,
            });

        using var response = await web.GetAsync("/missing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not found", await response.Content.ReadAsStringAsync());
        var headerId = WebApp.HeaderOrNull(response, Header);
        Assert.NotNull(headerId);
        var received = await web.Sentry.WaitForEventAsync(headerId, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
        Assert.Equal(typeof(KeyNotFoundException).FullName, received.Exceptions[^1].Type);
    }

    [Fact]
    public async Task CustomErrorPage_GetErrorReportingEventId_ReturnsTheSentId()
    {
        await using var web = await WebApp.StartAsync(
            app =>
            {
                app.UseExceptionHandler("/error");
                app.MapGet("/fail", () => ThrowOrderFailed(5));
                app.MapGet("/error", (HttpContext context) => Results.Json(new { eventId = context.GetErrorReportingEventId().ToString() }, statusCode: 500));
            },
            new WebAppSettings { UseExceptionHandler = false });

        using var response = await web.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var received = await web.AssertOneEventAsync(response);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
    }

    [Theory]
    [InlineData(Registration.UseErrorReporting)]
    [InlineData(Registration.AddErrorReportingAspNetCoreOnly)]
    public async Task DeveloperExceptionPage_InDevelopment_OneEventWithTheDeveloperPageMechanism(Registration registration)
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            new WebAppSettings { Registration = registration, UseExceptionHandler = false, HostEnvironment = "Development" });

        using var response = await web.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var headerId = WebApp.HeaderOrNull(response, Header);
        Assert.NotNull(headerId);
        var received = await web.Sentry.WaitForEventAsync(headerId, WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.DeveloperExceptionPage, received.MechanismType);
    }

    [Fact]
    public async Task DeveloperExceptionPage_JsonClientWithProblemDetails_ProblemDetailsCarriesTheEventId()
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            new WebAppSettings
            {
                UseExceptionHandler = false,
                HostEnvironment = "Development",
                AfterRegistration = builder => builder.Services.AddProblemDetails(),
            });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/fail", UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await web.SendAsync(request);

        var received = await web.AssertOneEventAsync(response);
        Assert.Equal(AspNetCoreMechanisms.DeveloperExceptionPage, received.MechanismType);
    }

    [Fact]
    public async Task ClientAbortsTheRequest_CancellationReachesTheExceptionHandler_NotReported()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/slow", async (HttpContext context) =>
            {
                entered.SetResult();
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
                }
                finally
                {
                    observed.SetResult();
                }
            }),
            new WebAppSettings());

        await RequestSlowAndAbortAsync(web, entered);

        await observed.Task.WaitAsync(WebApp.WaitTimeout);
        await web.SettleAsync();
        Assert.Empty(web.Sentry.Events);
    }

    [Fact]
    public async Task NoExceptionHandler_ClientAbortsTheRequest_SentrysMiddlewareReportsTheCancellation()
    {
        // Sentry.AspNetCore's behaviour, documented in the README: without an exception handler, the cancellation of an
        // aborted request escapes to its middleware, which reports it like any other exception.
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/slow", async (HttpContext context) =>
            {
                entered.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            }),
            new WebAppSettings { UseExceptionHandler = false });

        await RequestSlowAndAbortAsync(web, entered);

        var received = Assert.Single(await web.Sentry.WaitForEventsAsync(1, WebApp.WaitTimeout));
        await web.SettleAsync();
        Assert.Single(web.Sentry.Events);
        Assert.Equal("SentryMiddleware.UnhandledException", received.MechanismType);
        Assert.Equal(typeof(TaskCanceledException).FullName, received.Exceptions[^1].Type);
    }

    [Fact]
    public async Task ReporterThrows_ErrorResponseProceedsWithoutEventIdAndTheFailureIsLogged()
    {
        var reporter = Substitute.For<IErrorReporter>();
        reporter.IsEnabled.Returns(true);
        reporter.ReportUnhandled(default!, default!, default).ThrowsForAnyArgs(new InvalidOperationException("Reporter broke."));
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            new WebAppSettings { Registration = Registration.AddErrorReportingAspNetCoreOnly, AfterRegistration = builder => builder.Services.AddSingleton(reporter) });

        using var response = await web.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await WebApp.ReadEventIdAsync(response));
        Assert.Null(WebApp.HeaderOrNull(response, Header));
        reporter.ReceivedWithAnyArgs(1).ReportUnhandled(default!, default!, default);
        Assert.Contains(web.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Category == "ErrorReporting.AspNetCore" && entry.Exception?.Message == "Reporter broke.");
    }

    [Theory]
    [InlineData(Registration.UseErrorReporting)]
    [InlineData(Registration.AddErrorReportingAspNetCoreOnly)]
    public async Task ReporterDisabled_EmptyDsn_ProblemDetailsWithoutEventIdAndNothingSent(Registration registration)
    {
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            new WebAppSettings { Registration = registration, ConfigureSdk = options => options.Dsn = "" });

        using var response = await web.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(web.Reporter.IsEnabled);
        Assert.Null(await WebApp.ReadEventIdAsync(response));
        Assert.Null(WebApp.HeaderOrNull(response, Header));
        Assert.Empty(web.Sentry.Requests);
    }

    [Fact]
    public async Task UseErrorReporting_NoDsnAnywhere_AppStartsWithTheReporterDisabled()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SENTRY_DSN")), "The test needs SENTRY_DSN unset.");
        await using var web = await WebApp.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            new WebAppSettings { Registration = Registration.UseErrorReportingFromConfiguration, SentrySection = new Dictionary<string, string?> { ["Dsn"] = null } });

        using var response = await web.GetAsync("/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(web.Reporter.IsEnabled);
        Assert.False(SentrySdk.IsEnabled);
        Assert.Null(await WebApp.ReadEventIdAsync(response));
        Assert.Null(WebApp.HeaderOrNull(response, Header));
        Assert.Empty(web.Sentry.Requests);
    }

    /// <summary>An app whose <c>/orders/{id}</c> endpoint throws "Order {id} failed.".</summary>
    private static Task<WebApp> StartOrdersAppAsync(WebAppSettings settings)
        => WebApp.StartAsync(app => app.MapGet("/orders/{id}", (int id) => ThrowOrderFailed(id)), settings);

    private static void ThrowOrderFailed(int id) => throw new InvalidOperationException($"Order {id} failed.");

    private static void ThrowNotFound() => throw new KeyNotFoundException("No such order.");

    private sealed class NotFoundHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not KeyNotFoundException)
            {
                return false;
            }

            httpContext.Response.StatusCode = StatusCodes.Status404NotFound;
            await httpContext.Response.WriteAsync("not found", cancellationToken);
            return true;
        }
    }

    /// <summary>Requests <c>/slow</c>, and aborts the request once its handler has entered.</summary>
    private static async Task RequestSlowAndAbortAsync(WebApp web, TaskCompletionSource entered)
    {
        using var cancel = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/slow", UriKind.Relative));
        var sending = web.SendAsync(request, cancel.Token);
        await entered.Task.WaitAsync(WebApp.WaitTimeout);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }
}
