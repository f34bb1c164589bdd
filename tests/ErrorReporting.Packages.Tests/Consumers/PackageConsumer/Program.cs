// Uses each package the way its README shows, then prints what the test asserts on the wire.
using ErrorReporting;
using ErrorReporting.AspNetCore;
using ErrorReporting.Testing;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

var dsn = args[0];

var services = new ServiceCollection();
services.AddErrorReporting(options =>
{
    options.Dsn = dsn;
    options.Environment = "package-consumer";
    options.Release = "package-consumer@1.0.0";
});
await using (var provider = services.BuildServiceProvider())
{
    var reporter = provider.GetRequiredService<IErrorReporter>();
    try
    {
        throw new InvalidOperationException("Thrown by the package-consumer app.");
    }
    catch (InvalidOperationException exception)
    {
        Console.WriteLine($"handled:{reporter.ReportHandled(exception)}");
    }

    Console.WriteLine($"message:{reporter.ReportMessage("Message from the package-consumer app.", SentryLevel.Warning)}");
    Console.WriteLine($"flushed:{await reporter.FlushAsync(TimeSpan.FromSeconds(30))}");
}

// ErrorReporting.AspNetCore: the registration adds the IExceptionHandler.
var web = new ServiceCollection();
web.AddLogging();
web.AddErrorReportingAspNetCore(options => options.Dsn = dsn);
await using (var webProvider = web.BuildServiceProvider())
{
    Console.WriteLine($"exception-handlers:{webProvider.GetServices<IExceptionHandler>().Count()}");
    Console.WriteLine($"web-mechanism:{AspNetCoreMechanisms.ExceptionHandler}");
}

// ErrorReporting.Testing: the recording reporter.
var recording = new RecordingErrorReporter();
recording.ReportMessage("recorded");
Console.WriteLine($"recorded:{recording.Count}");
