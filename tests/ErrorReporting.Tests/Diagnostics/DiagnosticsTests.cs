using ErrorReporting.Diagnostics;
using ErrorReporting.Hosting;
using ErrorReporting.Processors;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Tests.Diagnostics;

/// <summary>The SDK's diagnostic logger bridged to <see cref="ILogger"/>, and no DSN key in any log.</summary>
public sealed class DiagnosticsTests
{
    [Theory]
    [InlineData("DSN read from options: https://0123abcd@o1.ingest.sentry.io/42", "DSN read from options: https://***@o1.ingest.sentry.io/42")]
    [InlineData("Initializing Hub for Dsn: 'https://pub:sec@sentry.example.com/1'.", "Initializing Hub for Dsn: 'https://***@sentry.example.com/1'.")]
    [InlineData("Sentry sentry_version=7,sentry_client=sentry.dotnet/6.12.1,sentry_key=abc123,sentry_secret=s3", "Sentry sentry_version=7,sentry_client=sentry.dotnet/6.12.1,sentry_key=***,sentry_secret=***")]
    [InlineData("nothing secret here", "nothing secret here")]
    [InlineData("mail me at someone@example.com", "mail me at someone@example.com")]
    public void Redact_Text_RemovesDsnKeysOnly(string text, string expected) => Assert.Equal(expected, SecretRedactor.Redact(text));

    [Fact]
    public void Redact_TextEchoingTheDsnsKeys_RemovesThemWhereTheyStandAlone()
    {
        var keys = SecretRedactor.KeysOf(new Uri("https://0123456789abcdef0123456789abcdef:5ec2e7@o1.ingest.sentry.io/42"));

        var redacted = SecretRedactor.Redact("unknown public key '0123456789ABCDEF0123456789ABCDEF', secret 5ec2e7 at https://user:pass@proxy.invalid/", keys);

        Assert.Equal(["0123456789abcdef0123456789abcdef", "5ec2e7"], keys);
        Assert.Equal("unknown public key '***', secret *** at https://***@proxy.invalid/", redacted);
    }

    [Theory]
    [InlineData(SentryLevel.Debug, LogLevel.Debug)]
    [InlineData(SentryLevel.Info, LogLevel.Information)]
    [InlineData(SentryLevel.Warning, LogLevel.Warning)]
    [InlineData(SentryLevel.Error, LogLevel.Error)]
    [InlineData(SentryLevel.Fatal, LogLevel.Critical)]
    public void Log_SdkLevel_MapsToTheLogLevel(SentryLevel level, LogLevel expected)
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var logger = new SentryDiagnosticLogger(factory.CreateLogger(SentryDiagnosticLogger.Category), SentryLevel.Debug);

        logger.Log(level, "value {0} for {1}", null, 42, "https://key123@host/1");

        Assert.Equal($"{expected}: value 42 for https://***@host/1", Assert.Single(logs.Messages));
    }

    [Fact]
    public void Log_BelowDiagnosticLevel_IsNotWritten()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var logger = new SentryDiagnosticLogger(factory.CreateLogger(SentryDiagnosticLogger.Category), SentryLevel.Warning);

        logger.Log(SentryLevel.Info, "too detailed");
        logger.Log(SentryLevel.Warning, "kept");

        Assert.False(logger.IsEnabled(SentryLevel.Info));
        Assert.Equal("Warning: kept", Assert.Single(logs.Messages));
    }

    [Fact]
    public void Log_BadFormat_WritesTheMessageAsIs()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var logger = new SentryDiagnosticLogger(factory.CreateLogger(SentryDiagnosticLogger.Category), SentryLevel.Debug);

        logger.Log(SentryLevel.Info, "brace {0} {1}", null, "only one");

        Assert.Equal("Information: brace {0} {1}", Assert.Single(logs.Messages));
    }

    [Fact]
    public void DeferredLoggers_BeforeAttach_AreReplayedWhenAttached()
    {
        var deferred = new DeferredLoggerFactory();
        deferred.CreateLogger("ErrorReporting").LogWarning("before the application's logging existed");
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));

        deferred.Attach(factory);
        deferred.CreateLogger("ErrorReporting").LogWarning("after");

        Assert.Equal(["Warning: before the application's logging existed", "Warning: after"], logs.Messages);
    }

    [Fact]
    public void DeferredLoggers_ContainerWithoutLogging_AreDisabledOnceConnected()
    {
        using var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = string.Empty).BuildServiceProvider();
        var loggers = provider.GetRequiredService<EngineRegistry>().Loggers;
        Assert.True(loggers.CreateLogger(Log.Category).IsEnabled(LogLevel.Warning));

        _ = provider.GetRequiredService<IErrorReporter>();

        Assert.True(loggers.IsAttached);
        Assert.False(loggers.CreateLogger(Log.Category).IsEnabled(LogLevel.Critical));
    }

    [Theory]
    [InlineData(8191, 8191)]
    [InlineData(8192, 8192)]
    [InlineData(9000, 8192)]
    public void Cut_LongValue_KeepsTheFirst8192Characters(int length, int expected)
        => Assert.Equal(expected, SentryLimits.Cut(new string('x', length))!.Length);

    [Fact]
    public void Cut_AtAHighSurrogate_KeepsThePairOut()
        => Assert.Equal(new string('a', 8191), SentryLimits.Cut(new string('a', 8191) + "😀" + "tail"));
}

/// <summary>DSN keys in none of the logs the SDK (with Debug on) and ErrorReporting write.</summary>
[Collection(SharedSentrySdk.Name)]
public sealed class DiagnosticsWireTests
{
    [Fact]
    public async Task Debug_SdkDiagnostics_GoToILoggerWithoutTheDsnKey()
    {
        await using var harness = await Infrastructure.SdkHarness.StartAsync(o =>
        {
            o.Debug = true;
            o.DiagnosticLevel = SentryLevel.Debug;
        });

        harness.Reporter.ReportHandled(Exceptions.Thrown(new InvalidOperationException("logged")));
        await harness.FlushAsync();

        var messages = harness.Logs.Messages;
        Assert.Contains(messages, m => m.Contains("Capturing event.", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("Delivery engine started", StringComparison.Ordinal));
        var key = new Uri(harness.Server.Dsn).UserInfo;
        Assert.NotEmpty(key);
        Assert.DoesNotContain(messages, m => m.Contains(key, StringComparison.Ordinal));
    }
}
