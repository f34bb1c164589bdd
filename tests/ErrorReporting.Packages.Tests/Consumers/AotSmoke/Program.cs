// Runs as a native binary: ErrorReporting over the Sentry SDK, options bound from a "Sentry" configuration section
// (the SDK's option names, the binder source generator), a handled exception and a message reported, flushed, then
// ErrorReporting's health check run by the health check service. Prints what AotSmokeTests asserts on the wire.
using System.Runtime.CompilerServices;
using ErrorReporting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

var configuration = new ConfigurationBuilder()
    .AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Sentry:Dsn"] = args[0],
        ["Sentry:Environment"] = "aot-smoke",
        ["Sentry:Release"] = "aot-smoke@1.0.0",
        ["Sentry:DefaultTags:dynamic-code"] = RuntimeFeature.IsDynamicCodeSupported ? "yes" : "no",
    })
    .Build();

var services = new ServiceCollection();
services.AddErrorReporting(configuration.GetSection("Sentry"));
services.AddLogging();
services.AddHealthChecks().AddErrorReporting();
await using var provider = services.BuildServiceProvider();
var reporter = provider.GetRequiredService<IErrorReporter>();
Console.WriteLine($"enabled:{reporter.IsEnabled}");

try
{
    Checkout.PlaceOrder();
}
catch (InvalidOperationException exception)
{
    Console.WriteLine($"handled:{reporter.ReportHandled(exception)}");
}

Console.WriteLine($"message:{reporter.ReportMessage("Message from the aot-smoke app.", SentryLevel.Warning)}");
Console.WriteLine($"flushed:{await reporter.FlushAsync(TimeSpan.FromSeconds(30))}");
var health = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["errorreporting"];
Console.WriteLine($"health:{health.Status}");
Console.WriteLine($"health-delivered:{health.Data["delivered"]}");

internal static class Checkout
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlaceOrder() => throw new InvalidOperationException("Thrown by the aot-smoke app.");
}
