using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ErrorReporting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: ErrorReporting.CrashApp <mode> [count] [--host] [--use-sentry] [--no-hooks] [--log]
//   The DSN comes from SENTRY_DSN (read by the SDK); options from Sentry__* environment variables (the "Sentry" section).
//   --host        the generic host: the hosted service initialises the SDK when the host starts.
//   --use-sentry  an ASP.NET Core app with UseSentry() beside AddErrorReporting(): the SDK is initialised once, by UseSentry.
//   (neither)     a plain ServiceProvider: resolving IErrorReporter initialises the SDK and its integrations.
//   --no-hooks    do not set up error reporting at all (the control run: how the process dies without the library).
//   --log         (plain ServiceProvider) ErrorReporting's log on standard output, one "log:<level>:<message>" line each.
// Prints "ready" once error reporting is set up, and report ids as "id:<event id>".
var mode = args.Length > 0 ? args[0] : "main-crash";
var useHost = args.Contains("--host");
var useSentry = args.Contains("--use-sentry");
var noHooks = args.Contains("--no-hooks");
var log = args.Contains("--log");

IHost? host = null;
IErrorReporter? reporter = null;
if (!noHooks)
{
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Sentry");
    if (useSentry)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.UseSentry();
        builder.Services.AddErrorReporting(configuration);
        var app = builder.Build();
        await app.StartAsync();
        host = app;
        reporter = app.Services.GetRequiredService<IErrorReporter>();
    }
    else if (useHost)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddErrorReporting(configuration);
        host = builder.Build();
        await host.StartAsync();
        reporter = host.Services.GetRequiredService<IErrorReporter>();
    }
    else
    {
        var services = new ServiceCollection();
        if (log)
        {
            services.AddLogging(b => b.AddProvider(new LineLoggerProvider()));
        }

        var provider = services.AddErrorReporting(configuration).BuildServiceProvider();
        reporter = provider.GetRequiredService<IErrorReporter>();
    }
}

Console.WriteLine("ready");
switch (mode)
{
    case "main-crash":
        Crashes.OnMainThread();
        break;

    case "thread-crash":
        var thread = new Thread(Crashes.OnBackgroundThread) { IsBackground = true };
        thread.Start();
        thread.Join();
        break;

    case "async-void-crash":
        Crashes.InAsyncVoid();
        new ManualResetEventSlim().Wait(); // the crash ends the process
        break;

    case "unobserved-task":
        // The runtime raises UnobservedTaskException when it finalizes the faulted task. A thread-pool thread may still
        // hold the last task it ran, so collect until the event was raised (at most 100 rounds).
        using (var raised = new ManualResetEventSlim())
        {
            TaskScheduler.UnobservedTaskException += (_, _) => raised.Set();
            Crashes.LeaveFaultedTaskUnobserved();
            for (var round = 0; round < 100 && !raised.IsSet; round++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                raised.Wait(TimeSpan.FromMilliseconds(20));
            }

            Console.WriteLine(raised.IsSet ? "collected" : "not collected");
        }

        return 0; // the ProcessExit flush delivers the report

    case "handled-then-rethrow":
        Crashes.ReportThenRethrow(reporter!);
        break;

    case "report-and-return":
        Console.WriteLine("id:" + reporter!.ReportMessage("reported just before returning from Main"));
        return 0; // no flush: the ProcessExit hook must deliver it

    case "report-many":
        // Reports N events (argument 2), prints their ids, then waits to be killed (the offline-cache test kills it with SIGKILL).
        var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < count; i++)
        {
            Console.WriteLine("id:" + reporter!.ReportMessage($"cached event {i}"));
        }

        Console.WriteLine("reported");
        new ManualResetEventSlim().Wait();
        break;

    case "report-and-flush":
        // Reports N messages (argument 2) of at least M characters (argument 3, default 0), flushes, and prints the
        // ErrorReporting meter ("meter:<instrument>[:<reason>]=<value>").
        var reports = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var padding = args.Length > 2 && int.TryParse(args[2], System.Globalization.CultureInfo.InvariantCulture, out var size) ? new string('x', size) : "";
        for (var i = 0; i < reports; i++)
        {
            Console.WriteLine("id:" + reporter!.ReportMessage($"report {i} {padding}"));
        }

        Console.WriteLine("flushed:" + await reporter!.FlushAsync(TimeSpan.FromSeconds(30)));
        Meters.Print();
        return 0;

    case "deliver-cache":
        // Starts with the offline cache an earlier process left and delivers it.
        Console.WriteLine("flushed:" + await reporter!.FlushAsync(TimeSpan.FromSeconds(60)));
        return 0;

    case "report-and-stop-host":
        Console.WriteLine("id:" + reporter!.ReportMessage("reported before the host stops"));
        await host!.StopAsync();
        Console.WriteLine("stopped");
        Environment.FailFast("after host stop"); // skips ProcessExit: only the host's stop flush can have delivered
        break;
}

return 3; // not reached in crash modes

/// <summary>Prints the ErrorReporting meter's instruments as they are now.</summary>
internal static class Meters
{
    public static void Print()
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "ErrorReporting")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    reason = tag.Value as string;
                }
            }

            Console.WriteLine($"meter:{instrument.Name}{(reason is null ? "" : ":" + reason)}={value}");
        });
        listener.Start();
        listener.RecordObservableInstruments();
    }
}

/// <summary>Writes every log message on one line of standard output: <c>log:&lt;level&gt;:&lt;message&gt;</c>.</summary>
internal sealed class LineLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new LineLogger();

    public void Dispose()
    {
    }

    private sealed class LineLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})");
            Console.WriteLine($"log:{logLevel}:{text.ReplaceLineEndings(" ")}");
        }
    }
}

internal static class Crashes
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void OnMainThread() => throw new InvalidOperationException("crash on the main thread");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void OnBackgroundThread() => throw new ArithmeticException("crash on a background thread");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async void InAsyncVoid()
    {
        await Task.Yield();
        throw new NotSupportedException("crash in an async void method");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LeaveFaultedTaskUnobserved()
    {
        var task = Task.Run(() => throw new TimeoutException("nobody awaited this task"));
        ((IAsyncResult)task).AsyncWaitHandle.WaitOne(); // completes without observing the exception
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ReportThenRethrow(IErrorReporter reporter)
    {
        try
        {
            throw new FormatException("reported, then rethrown");
        }
        catch (FormatException exception)
        {
            Console.WriteLine("id:" + reporter.ReportHandled(exception));
            throw;
        }
    }
}
