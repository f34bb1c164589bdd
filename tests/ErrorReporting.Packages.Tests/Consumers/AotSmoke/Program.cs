// Runs as a native binary: ErrorReporting over the Sentry SDK, options bound from a "Sentry" configuration section
// (the SDK's option names, the binder source generator), a handled exception and a message reported, flushed.
// Prints what AotSmokeTests asserts on the wire.
using System.Runtime.CompilerServices;
using ErrorReporting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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

internal static class Checkout
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlaceOrder() => throw new InvalidOperationException("Thrown by the aot-smoke app.");
}
