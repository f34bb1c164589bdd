// Uses ErrorReporting and ErrorReporting.Testing the way their READMEs show, then prints what PackageConsumerTests
// asserts on the wire.
using System.Runtime.CompilerServices;
using ErrorReporting;
using ErrorReporting.Testing;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddErrorReporting(options =>
{
    options.Dsn = args[0];
    options.Environment = "console-consumer";
    options.Release = "console-consumer@1.0.0";
});
await using (var provider = services.BuildServiceProvider())
{
    var reporter = provider.GetRequiredService<IErrorReporter>();
    Console.WriteLine($"enabled:{reporter.IsEnabled}");
    try
    {
        Checkout.PlaceOrder();
    }
    catch (InvalidOperationException exception)
    {
        Console.WriteLine($"handled:{reporter.ReportHandled(exception, scope => scope.SetTag("order", "42"))}");
    }

    Console.WriteLine($"message:{reporter.ReportMessage("Message from the console-consumer app.", SentryLevel.Warning)}");
    Console.WriteLine($"flushed:{await reporter.FlushAsync(TimeSpan.FromSeconds(30))}");
}

// ErrorReporting.Testing: the recording reporter records the scope the callback configured and sends nothing.
var recording = new RecordingErrorReporter();
recording.ReportMessage("recorded", SentryLevel.Info, scope => scope.SetTag("kind", "unit-test"));
Console.WriteLine($"recorded:{recording.Count}:{recording.LatestReport!.Tags["kind"]}");

internal static class Checkout
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlaceOrder() => throw new InvalidOperationException("Thrown by the console-consumer app.");
}
