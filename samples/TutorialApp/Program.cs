// The tutorial app: Sentry's backend "capturing errors" tutorial with ErrorReporting.AspNetCore over the Sentry SDK.
//   dotnet run --project samples/TutorialApp            → http://127.0.0.1:5080 (or --urls http://127.0.0.1:<port>)
// Without a DSN (Sentry:Dsn or SENTRY_DSN), the app sends its events to itself and lists them at /issues; with one,
// they go to that Sentry project. Sentry:EnableSpotlight also sends them to a local Spotlight sidecar.
using System.Globalization;
using ErrorReporting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using TutorialApp;

// appsettings.json is read from the app's folder, whatever the working directory (dotnet run, dotnet TutorialApp.dll).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Where the app listens and where its events go are fixed before the reporter is built: the embedded DSN points at
// the app's own port.
var destination = EventDestination.Configure(builder);
if (destination.Problem is { } problem)
{
    Console.Error.WriteLine($"TutorialApp cannot start: {problem}");
    return 1;
}

builder.Services.AddSingleton(destination);

// One line: the Sentry SDK with its ASP.NET Core integration, ErrorReporting's delivery engine and exception handler,
// configured from the "Sentry" section (Dsn, Environment, Release, …). Without a DSN, the embedded endpoint's.
builder.WebHost.UseErrorReporting(options =>
{
    if (destination.EmbeddedDsn is { } embeddedDsn)
    {
        options.Dsn = embeddedDsn;
    }
});

// app.UseExceptionHandler() answers with ProblemDetails; the integration adds "eventId" to it.
builder.Services.AddProblemDetails();

// Whether errors reach Sentry (or the embedded endpoint), from what ErrorReporting's delivery engine saw: /healthz.
builder.Services.AddHealthChecks().AddErrorReporting();

var app = builder.Build();
app.UseExceptionHandler();

app.MapGet("/", () => Html(Pages.Home(destination)));

// 200 Healthy or Degraded, 503 Unhealthy, with the check's description and data as JSON; the home page shows it.
app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = HealthJson.WriteAsync });

// Handled: the code catches the exception and reports it itself (handled: yes).
app.MapGet("/handled", (IErrorReporter reporter) =>
{
    try
    {
        var quantity = int.Parse("forty-two", CultureInfo.InvariantCulture);
        return Results.Ok(new { quantity });
    }
    catch (FormatException exception)
    {
        var eventId = reporter.ReportHandled(exception, scope => scope.SetTag("tutorial.step", "handled"));
        return Results.Ok(new { eventId = eventId.ToString(), handled = true, message = "The quantity could not be parsed; the error was reported and the request went on." });
    }
});

// Unhandled: nobody catches it. The integration's exception handler reports it (handled: no), and the ProblemDetails
// response and the X-Sentry-Event-Id header carry the event id.
app.MapGet("/unhandled", (int? orderId) =>
{
    // The request's scope (Sentry.AspNetCore pushes one per request): the handler's event carries the tag.
    SentrySdk.ConfigureScope(scope => scope.SetTag("tutorial.step", "unhandled"));
    Checkout.Run(orderId ?? 42);
    return Results.Ok();
});

// A message: an event without an exception.
app.MapGet("/message", (IErrorReporter reporter) =>
{
    var eventId = reporter.ReportMessage("Someone pressed the tutorial's message button.", SentryLevel.Info, scope => scope.SetTag("tutorial.step", "message"));
    return Results.Ok(new { eventId = eventId.ToString() });
});

// The issue stream of the embedded receiver. Flushing first (it returns as soon as the events were delivered) makes
// what was just reported show up. ?id=<pasted event id> is the search box: it opens that event's page, or says why not.
app.MapGet("/issues", async (string? id, IErrorReporter reporter, CancellationToken cancellationToken) =>
{
    await FlushEmbeddedAsync(reporter, cancellationToken);
    if (id is null || destination.Receiver is null)
    {
        return Html(Pages.IssueList(destination));
    }

    var search = IssueSearch.Of(id);
    if (search.EventId is { } eventId && Pages.Find(destination, eventId) is not null)
    {
        return Results.Redirect($"/issues/{eventId}");
    }

    return Html(Pages.IssueList(destination, search), search.NotAnId ? StatusCodes.Status400BadRequest : StatusCodes.Status404NotFound);
});

app.MapGet("/issues/{eventId}", async (string eventId, IErrorReporter reporter, CancellationToken cancellationToken) =>
{
    if (destination.Receiver is null)
    {
        // With a DSN the events are in Sentry: the issue stream page says so.
        return Html(Pages.IssueList(destination), StatusCodes.Status404NotFound);
    }

    await FlushEmbeddedAsync(reporter, cancellationToken);
    return Pages.IssueDetails(destination, eventId) is { } page
        ? Html(page)
        : Html(Pages.NotFound(eventId), StatusCodes.Status404NotFound);
});

// The embedded Sentry-compatible endpoint, only when no DSN is configured. It answers as Sentry does: 200 {"id": …},
// or 400/401/403/413/415 with {"detail": "<reason>"}; refusals are listed at /issues.
if (destination.Receiver is { } receiver)
{
    app.MapPost("/api/{projectId}/envelope/", receiver.HandleAsync);
}

app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
    {
        Console.WriteLine($"TutorialApp is listening on {url}");
    }

    // The DSN's host only: its key is never printed.
    Console.WriteLine(destination.Receiver is not null
        ? "No DSN configured: events go to this app itself; see /issues."
        : $"Events go to Sentry at {destination.SentryHost}.");
    if (app.Configuration.GetValue<bool>("Sentry:EnableSpotlight"))
    {
        Console.WriteLine($"Spotlight is on: events also go to {app.Configuration["Sentry:SpotlightUrl"] ?? "http://localhost:8969/stream"}.");
    }
});

app.Run();
return 0;

static IResult Html(string page, int statusCode = StatusCodes.Status200OK) => Results.Content(page, "text/html; charset=utf-8", statusCode: statusCode);

async Task FlushEmbeddedAsync(IErrorReporter reporter, CancellationToken cancellationToken)
{
    if (destination.Receiver is not null)
    {
        await reporter.FlushAsync(TimeSpan.FromSeconds(5), cancellationToken);
    }
}
