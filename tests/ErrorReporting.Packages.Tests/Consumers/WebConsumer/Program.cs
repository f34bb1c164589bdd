// An ASP.NET Core app registered as the ErrorReporting.AspNetCore README shows, in one of two arrangements (args[1]):
//   use-error-reporting  builder.WebHost.UseErrorReporting(...)
//   beside-use-sentry    builder.WebHost.UseSentry() + builder.Services.AddErrorReportingAspNetCore()
// It listens on 127.0.0.1 (a free port), sends itself real HTTP requests (one endpoint that throws, one that reports a
// handled exception), waits until the server completed them, flushes, and prints what PackageConsumerTests asserts on
// the wire.
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ErrorReporting;

var (dsn, arrangement) = (args[0], args[1]);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Sentry:Dsn"] = dsn,
    ["Sentry:Environment"] = "web-consumer",
});
builder.WebHost.UseUrls("http://127.0.0.1:0");
switch (arrangement)
{
    case "use-error-reporting":
        builder.WebHost.UseErrorReporting(options => options.Release = "web-consumer@1.0.0");
        break;
    case "beside-use-sentry":
        builder.WebHost.UseSentry(options => options.Release = "web-consumer@1.0.0");
        builder.Services.AddErrorReportingAspNetCore();
        break;
    default:
        throw new ArgumentException("Unknown arrangement: " + arrangement, nameof(args));
}

builder.Services.AddProblemDetails();

var completed = new SemaphoreSlim(0);
var app = builder.Build();
app.Use((context, next) =>
{
    // Runs after the whole pipeline (Sentry's middleware included) finished with the request.
    context.Response.OnCompleted(() =>
    {
        completed.Release();
        return Task.CompletedTask;
    });
    return next(context);
});
app.UseExceptionHandler();
app.MapGet("/orders/{id}", (string id) => Checkout.PlaceOrder(id));
app.MapGet("/handled", (IErrorReporter reporter) =>
{
    try
    {
        Checkout.PlaceOrder("handled");
    }
    catch (InvalidOperationException exception)
    {
        return reporter.ReportHandled(exception).ToString();
    }

    return "not thrown";
});

await app.StartAsync();
using (var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) })
{
    using var failure = await client.GetAsync(new Uri("/orders/42", UriKind.Relative));
    Console.WriteLine($"failure-status:{(int)failure.StatusCode}");
    Console.WriteLine($"failure-content-type:{failure.Content.Headers.ContentType?.MediaType}");
    Console.WriteLine($"failure-header:{string.Join(',', failure.Headers.TryGetValues("X-Sentry-Event-Id", out var values) ? values : [])}");
    var problem = await failure.Content.ReadFromJsonAsync<JsonElement>();
    Console.WriteLine($"failure-event-id:{(problem.TryGetProperty("eventId", out var eventId) ? eventId.GetString() : "none")}");

    Console.WriteLine($"handled:{await client.GetStringAsync(new Uri("/handled", UriKind.Relative))}");
}

for (var i = 0; i < 2; i++)
{
    if (!await completed.WaitAsync(TimeSpan.FromSeconds(30)))
    {
        throw new TimeoutException("The server did not complete the requests.");
    }
}

Console.WriteLine($"flushed:{await app.Services.GetRequiredService<IErrorReporter>().FlushAsync(TimeSpan.FromSeconds(30))}");
await app.StopAsync();
await app.DisposeAsync();

internal static class Checkout
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string PlaceOrder(string id) => throw new InvalidOperationException($"Order {id} failed in the web-consumer app.");
}
