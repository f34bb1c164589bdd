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
/// Exceptions that escape a request of a real <see cref="WebApplication"/> (Kestrel on loopback) reach the
/// integration's <see cref="IExceptionHandler"/> through <c>app.UseExceptionHandler()</c> and arrive at a
/// Sentry-compatible server as <c>handled: no</c>, with the id in the ProblemDetails and the response header.
/// </summary>
public sealed class ExceptionHandlerTests
{
    private const string Header = ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader;

    [Fact]
    public async Task TryHandleAsync_EndpointThrows_ReportsUnhandledWithEventIdInProblemDetailsAndHeader()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/orders/{id}", (int id) => ThrowOrderFailed(id)));

        using var response = await harness.Client.GetAsync(new Uri("/orders/42", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problemId = await WebAppHarness.ReadEventIdAsync(response);
        var headerId = WebAppHarness.HeaderOrNull(response, Header);
        Assert.NotNull(problemId);
        Assert.Equal(problemId, headerId);
        Assert.Matches("^[0-9a-f]{32}$", problemId);

        var received = await harness.Sentry.WaitForEventAsync(problemId, WebAppHarness.WaitTimeout);
        Assert.Equal(problemId, received.EventId);
        Assert.Equal(problemId, received.EnvelopeEventId);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
        Assert.Equal("error", received.Level);
        Assert.Equal(typeof(InvalidOperationException).FullName, received.Exceptions[^1].Type);
        Assert.Equal("Order 42 failed.", received.Exceptions[^1].Value);
    }

    [Fact]
    public async Task TryHandleAsync_EndpointThrows_EventCarriesRequestAndRouteTemplate()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/orders/{id}", (int id) => ThrowOrderFailed(id)));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/7?page=2&sort=name", UriKind.Relative));
        request.Headers.Add("X-Request-Id", "req-123");
        request.Headers.UserAgent.ParseAdd("tests/1.0");
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await harness.Client.SendAsync(request);
        var received = await harness.Sentry.WaitForEventAsync((await WebAppHarness.ReadEventIdAsync(response))!, WebAppHarness.WaitTimeout);

        Assert.NotNull(received.Request);
        Assert.Equal("GET", received.Request.Method);
        Assert.Equal(new Uri(harness.Client.BaseAddress!, "/orders/7").ToString(), received.Request.Url);
        Assert.Equal("page=2&sort=name", received.Request.QueryString);
        Assert.Equal("GET /orders/{id}", received.Transaction);
        Assert.Equal("req-123", received.Request.Headers["X-Request-Id"]);
        Assert.Equal("tests/1.0", received.Request.Headers["User-Agent"]);
        Assert.Equal("application/json", received.Request.Headers["Accept"]);
        Assert.Equal(harness.Client.BaseAddress!.Authority, received.Request.Headers["Host"]);
    }

    [Fact]
    public async Task TryHandleAsync_RequestCarriesSecrets_NoneOfThemInTheRawEvent()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/orders/{id}", (int id) => ThrowOrderFailed(id)));
        string[] secrets = ["bearer-secret-1", "cookie-secret-2", "query-token-3", "api-key-4", "proxy-secret-5", "password-6", "sig-7", "forwarded-8", "referer-token-9"];
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/orders/7?token={secrets[2]}&page=2&Password={secrets[5]}&sig={secrets[6]}", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {secrets[0]}");
        request.Headers.TryAddWithoutValidation("Cookie", $"session={secrets[1]}; theme=dark");
        request.Headers.TryAddWithoutValidation("X-Api-Key", secrets[3]);
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", $"Basic {secrets[4]}");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.8");
        request.Headers.TryAddWithoutValidation("X-Custom-Token", secrets[7]);
        request.Headers.TryAddWithoutValidation("Referer", $"http://127.0.0.1/login?access_token={secrets[8]}&next=%2Forders");

        using var response = await harness.Client.SendAsync(request);
        var received = await harness.Sentry.WaitForEventAsync((await WebAppHarness.ReadEventIdAsync(response))!, WebAppHarness.WaitTimeout);

        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, received.RawJson, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("203.0.113.8", received.RawJson, StringComparison.Ordinal);
        Assert.Equal("token=[Filtered]&page=2&Password=[Filtered]&sig=[Filtered]", received.Request!.QueryString);
        Assert.Equal("http://127.0.0.1/login?access_token=[Filtered]&next=%2Forders", received.Request.Headers["Referer"]);
        foreach (var name in new[] { "Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization", "X-Forwarded-For", "X-Custom-Token" })
        {
            Assert.False(received.Request.Headers.ContainsKey(name), $"The header {name} was sent.");
        }
    }

    [Fact]
    public async Task TryHandleAsync_WithoutSendDefaultPii_SendsNoUserAndNoAddress()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
        {
            app.Use(SignInAlice);
            app.MapGet("/fail", () => ThrowOrderFailed(1));
        });

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));
        var received = await harness.Sentry.WaitForEventAsync((await WebAppHarness.ReadEventIdAsync(response))!, WebAppHarness.WaitTimeout);

        Assert.Null(received.User);
        Assert.DoesNotContain("ip_address", received.RawJson, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", received.RawJson, StringComparison.Ordinal);
        Assert.Null(received.ServerName);
    }

    [Fact]
    public async Task TryHandleAsync_WithSendDefaultPii_SendsClientAddressAndUserName()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app =>
            {
                app.Use(SignInAlice);
                app.MapGet("/fail", () => ThrowOrderFailed(1));
            },
            configureReporting: options => options.SendDefaultPii = true);

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));
        var received = await harness.Sentry.WaitForEventAsync((await WebAppHarness.ReadEventIdAsync(response))!, WebAppHarness.WaitTimeout);

        Assert.NotNull(received.User);
        Assert.Equal("127.0.0.1", received.User.IpAddress);
        Assert.Equal("alice", received.User.Username);
    }

    [Fact]
    public async Task TryHandleAsync_MiddlewareThrows_ReportsItWithTheMatchedRoute()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
        {
            app.Use((HttpContext context, RequestDelegate next) =>
                context.Request.Query.ContainsKey("boom") ? throw new InvalidDataException("Middleware failed.") : next(context));
            app.MapGet("/orders/{id}", (int id) => Results.Ok(id));
        });

        using var response = await harness.Client.GetAsync(new Uri("/orders/5?boom=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problemId = await WebAppHarness.ReadEventIdAsync(response);
        Assert.Equal(problemId, WebAppHarness.HeaderOrNull(response, Header));
        var received = await harness.Sentry.WaitForEventAsync(problemId!, WebAppHarness.WaitTimeout);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.ExceptionHandler, received.MechanismType);
        Assert.Equal(typeof(InvalidDataException).FullName, received.Exceptions[^1].Type);
        Assert.Equal("GET /orders/{id}", received.Transaction);
    }

    [Fact]
    public async Task TryHandleAsync_AppReportedThenRethrew_SendsOneEventAndProblemDetailsCarriesTheAppsId()
    {
        var appId = new TaskCompletionSource<SentryEventId>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/rethrow", (IErrorReporter reporter) =>
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
            }));

        using var response = await harness.Client.GetAsync(new Uri("/rethrow", UriKind.Relative));
        var reportedByApp = await appId.Task.WaitAsync(WebAppHarness.WaitTimeout);
        var problemId = await WebAppHarness.ReadEventIdAsync(response);
        await harness.FlushAsync();

        Assert.Equal(reportedByApp.ToString(), problemId);
        Assert.Equal(problemId, WebAppHarness.HeaderOrNull(response, Header));
        var received = Assert.Single(harness.Sentry.Events);
        Assert.Equal(problemId, received.EventId);
        Assert.True(received.Handled);
    }

    [Fact]
    public async Task SetErrorReportingTag_DuringRequest_TagsEveryReportOfThatRequestOnly()
    {
        var ids = new List<SentryEventId>();
        await using var harness = await WebAppHarness.StartAsync(app =>
        {
            app.MapGet("/tenant/{name}", async (string name, HttpContext context, IErrorReporter reporter) =>
            {
                context.SetErrorReportingTag("tenant", name);
                await Task.Yield();
                lock (ids)
                {
                    ids.Add(reporter.ReportMessage($"Working for {name}"));
                    ids.Add(reporter.ReportHandled(new FormatException("Handled within the request.")));
                }

                await Task.Run(() => ThrowOrderFailed(9));
            });
            app.MapGet("/other", (IErrorReporter reporter) =>
            {
                lock (ids)
                {
                    ids.Add(reporter.ReportMessage("Another request"));
                }
            });
        });

        using var tenantResponse = await harness.Client.GetAsync(new Uri("/tenant/acme", UriKind.Relative));
        using var otherResponse = await harness.Client.GetAsync(new Uri("/other", UriKind.Relative));
        var unhandledId = await WebAppHarness.ReadEventIdAsync(tenantResponse);
        var events = await harness.Sentry.WaitForEventsAsync(4, WebAppHarness.WaitTimeout);

        var byId = events.ToDictionary(e => e.EventId!);
        foreach (var id in new[] { ids[0].ToString(), ids[1].ToString(), unhandledId! })
        {
            Assert.Equal("acme", byId[id].Tags["tenant"]);
        }

        Assert.False(byId[unhandledId!].Handled);
        Assert.False(byId[ids[2].ToString()].Tags.ContainsKey("tenant"));
    }

    [Fact]
    public async Task StartupFilter_RequestScope_IsCurrentInTheEndpointAndTheExceptionHandlers()
    {
        var probe = new ScopeProbe();
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", () =>
            {
                probe.InEndpoint = ErrorReportingScope.Current;
                ThrowOrderFailed(1);
            }),
            configureBuilder: builder => builder.Services.AddSingleton<IExceptionHandler>(probe));

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.NotNull(probe.InEndpoint);
        Assert.Same(probe.InEndpoint, probe.InHandler);
    }

    [Fact]
    public async Task TryHandleAsync_ReporterThrows_ErrorResponseProceedsWithoutEventId()
    {
        var reporter = Substitute.For<IErrorReporter>();
        reporter.IsEnabled.Returns(true);
        reporter.ReportUnhandled(default!, default!, default, default).ThrowsForAnyArgs(new InvalidOperationException("Reporter broke."));
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            configureBuilder: builder => builder.Services.AddSingleton(reporter));

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await WebAppHarness.ReadEventIdAsync(response));
        Assert.Null(WebAppHarness.HeaderOrNull(response, Header));
        reporter.ReceivedWithAnyArgs().ReportUnhandled(default!, default!, default, default);
        Assert.Contains(harness.Logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Category == "ErrorReporting.AspNetCore" && entry.Exception?.Message == "Reporter broke.");
    }

    [Fact]
    public async Task TryHandleAsync_ReporterDisabled_ProblemDetailsWithoutEventId()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            configureReporting: options => options.Dsn = "");

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(harness.Reporter.IsEnabled);
        Assert.Null(await WebAppHarness.ReadEventIdAsync(response));
        Assert.Null(WebAppHarness.HeaderOrNull(response, Header));
    }

    [Fact]
    public async Task TryHandleAsync_AppHandlerTurnsItIntoResponse_StillReported()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/missing", () => ThrowNotFound()),
            configureBuilder: builder =>
            {
                // Registered after AddErrorReportingAspNetCore; the reporter's handler still runs first.
                builder.Services.AddExceptionHandler<NotFoundHandler>();
            });

        using var response = await harness.Client.GetAsync(new Uri("/missing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var headerId = WebAppHarness.HeaderOrNull(response, Header);
        Assert.NotNull(headerId);
        var received = await harness.Sentry.WaitForEventAsync(headerId, WebAppHarness.WaitTimeout);
        Assert.Equal(typeof(KeyNotFoundException).FullName, received.Exceptions[^1].Type);
    }

    [Fact]
    public async Task CustomizeProblemDetails_AppCustomization_RunsAfterAndSeesEventId()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            configureBuilder: builder => builder.Services.AddProblemDetails(options =>
                options.CustomizeProblemDetails = context =>
                    context.ProblemDetails.Extensions["supportCode"] = $"E-{context.ProblemDetails.Extensions["eventId"]}"));

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));
        var json = await WebAppHarness.ReadJsonAsync(response);

        var eventId = json.GetProperty("eventId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", eventId);
        Assert.Equal($"E-{eventId}", json.GetProperty("supportCode").GetString());
    }

    [Fact]
    public async Task TryHandleAsync_ErrorPagePath_PageReadsEventIdFromHttpContext()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app =>
            {
                app.UseExceptionHandler("/error");
                app.MapGet("/fail", () => ThrowOrderFailed(1));
                app.Map("/error", (HttpContext context) => Results.Text($"Quote {context.GetErrorReportingEventId()} to support.", statusCode: 500));
            },
            useExceptionHandler: false);

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        var headerId = WebAppHarness.HeaderOrNull(response, Header);
        Assert.NotNull(headerId);
        Assert.Equal($"Quote {headerId} to support.", text);
        var received = await harness.Sentry.WaitForEventAsync(headerId, WebAppHarness.WaitTimeout);
        Assert.Equal(new Uri(harness.Client.BaseAddress!, "/fail").ToString(), received.Request?.Url);
        Assert.Equal("GET /fail", received.Transaction);
    }

    [Fact]
    public async Task Middleware_NoExceptionHandler_ReportsExceptionEscapingThePipeline()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/orders/{id}", (int id) => ThrowOrderFailed(id)),
            useExceptionHandler: false);

        using var response = await harness.Client.GetAsync(new Uri("/orders/8", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var received = Assert.Single(await harness.Sentry.WaitForEventsAsync(1, WebAppHarness.WaitTimeout));
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.UnhandledRequest, received.MechanismType);
        Assert.Equal("GET /orders/{id}", received.Transaction);
    }

    [Fact]
    public async Task Middleware_ResponseAlreadyStarted_ReportedOnceWithTheHandlersMechanism()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/partial", async (HttpContext context) =>
            {
                await context.Response.WriteAsync("partial ");
                await context.Response.Body.FlushAsync();
                ThrowOrderFailed(2);
            }));

        // The server aborts the response it had started; the client sees a broken body.
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using var response = await harness.Client.GetAsync(new Uri("/partial", UriKind.Relative));
            await response.Content.ReadAsStringAsync();
        });
        var received = Assert.Single(await harness.Sentry.WaitForEventsAsync(1, WebAppHarness.WaitTimeout));
        await harness.FlushAsync();

        Assert.Single(harness.Sentry.Events);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.UnhandledRequest, received.MechanismType);
    }

    [Fact]
    public async Task DeveloperExceptionPage_InDevelopment_ReportsTheShownException()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            useExceptionHandler: false,
            environment: "Development");

        using var response = await harness.Client.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var headerId = WebAppHarness.HeaderOrNull(response, Header);
        Assert.NotNull(headerId);
        var received = await harness.Sentry.WaitForEventAsync(headerId, WebAppHarness.WaitTimeout);
        Assert.False(received.Handled);
        Assert.Equal(AspNetCoreMechanisms.DeveloperExceptionPage, received.MechanismType);
    }

    [Fact]
    public async Task DeveloperExceptionPage_JsonClientWithProblemDetails_ProblemDetailsCarriesEventId()
    {
        await using var harness = await WebAppHarness.StartAsync(
            app => app.MapGet("/fail", () => ThrowOrderFailed(1)),
            configureBuilder: builder => builder.Services.AddProblemDetails(),
            useExceptionHandler: false,
            environment: "Development");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/fail", UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await harness.Client.SendAsync(request);

        var problemId = await WebAppHarness.ReadEventIdAsync(response);
        Assert.NotNull(problemId);
        Assert.Equal(problemId, WebAppHarness.HeaderOrNull(response, Header));
        await harness.Sentry.WaitForEventAsync(problemId, WebAppHarness.WaitTimeout);
    }

    [Fact]
    public async Task CreateReportContext_AppReportsHandled_EventCarriesRequest()
    {
        await using var harness = await WebAppHarness.StartAsync(app =>
            app.MapGet("/handled/{id}", (int id, HttpContext context, IErrorReporter reporter) =>
            {
                try
                {
                    ThrowOrderFailed(id);
                    return Results.Ok();
                }
                catch (Exception exception)
                {
                    return Results.Ok(new { eventId = reporter.ReportHandled(exception, context: context.CreateReportContext()).ToString() });
                }
            }));

        using var response = await harness.Client.GetAsync(new Uri("/handled/4?code=secret-code", UriKind.Relative));
        var received = await harness.Sentry.WaitForEventAsync((await WebAppHarness.ReadEventIdAsync(response))!, WebAppHarness.WaitTimeout);

        Assert.True(received.Handled);
        Assert.Equal("GET /handled/{id}", received.Transaction);
        Assert.Equal("code=[Filtered]", received.Request?.QueryString);
        Assert.DoesNotContain("secret-code", received.RawJson, StringComparison.Ordinal);
    }

    private static void ThrowOrderFailed(int id) => throw new InvalidOperationException($"Order {id} failed.");

    private static void ThrowNotFound() => throw new KeyNotFoundException("No such order.");

    private static Task SignInAlice(HttpContext context, RequestDelegate next)
    {
        context.User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, "alice")], authenticationType: "Test"));
        return next(context);
    }

    private sealed class ScopeProbe : IExceptionHandler
    {
        public ErrorReportingScope? InEndpoint { get; set; }

        public ErrorReportingScope? InHandler { get; private set; }

        public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            InHandler = ErrorReportingScope.Current;
            return ValueTask.FromResult(false);
        }
    }

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
}
