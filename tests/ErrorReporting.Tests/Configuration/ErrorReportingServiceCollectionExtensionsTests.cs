using System.Net;
using System.Net.Sockets;
using ErrorReporting.Configuration;
using ErrorReporting.Reporting;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Tests.Configuration;

public sealed class ErrorReportingServiceCollectionExtensionsTests
{
    [Fact]
    public void AddErrorReporting_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingServiceCollectionExtensions.AddErrorReporting(null!));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingServiceCollectionExtensions.AddErrorReporting(null!, _ => { }));
        Assert.Throws<ArgumentNullException>("configure", () => new ServiceCollection().AddErrorReporting((Action<ErrorReportingOptions>)null!));
        Assert.Throws<ArgumentNullException>("configuration", () => new ServiceCollection().AddErrorReporting((IConfiguration)null!));
    }

    [Fact]
    public void AddErrorReporting_CalledTwice_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();

        services.AddErrorReporting().AddErrorReporting(o => o.Environment = "x");
        var once = new ServiceCollection().AddErrorReporting(o => o.Environment = "x");

        Assert.Single(services, d => d.ServiceType == typeof(IErrorReporter));
        Assert.Equal(
            once.Where(d => d.ServiceType != typeof(IConfigureOptions<ErrorReportingOptions>)).Select(d => (d.ServiceType, d.ImplementationType)),
            services.Where(d => d.ServiceType != typeof(IConfigureOptions<ErrorReportingOptions>)).Select(d => (d.ServiceType, d.ImplementationType)));
    }

    [Fact]
    public async Task AddErrorReporting_NoDsn_ResolvesDisabledReporterAndLogsOnce()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection().AddLogging(b => b.AddProvider(logs)).AddErrorReporting(o => o.Dsn = string.Empty);
        await using var provider = services.BuildServiceProvider();

        var reporter = provider.GetRequiredService<IErrorReporter>();

        Assert.False(reporter.IsEnabled);
        Assert.True(reporter.ReportHandled(new InvalidOperationException()).IsEmpty);
        Assert.True(reporter.ReportMessage("m").IsEmpty);
        Assert.True(await reporter.FlushAsync(TimeSpan.Zero));
        Assert.Single(logs.Messages, m => m.Contains("disabled", StringComparison.Ordinal));
    }

    [Fact]
    public void AddErrorReporting_InvalidDsn_FailsAtResolveWithMessageNamingDsn()
    {
        var services = new ServiceCollection().AddErrorReporting(o => o.Dsn = "https://sentry.example.com/42");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IErrorReporter>());

        Assert.Contains("Dsn", error.Message, StringComparison.Ordinal);
        Assert.Contains("no public key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddErrorReporting_InvalidDsnWithHost_FailsAtHostStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddErrorReporting(o => o.Dsn = "not a dsn");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Dsn", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(ErrorReportingOptions.MaxQueueItems), "0")]
    [InlineData(nameof(ErrorReportingOptions.SampleRate), "1.5")]
    [InlineData(nameof(ErrorReportingOptions.ShutdownTimeout), "-00:00:01")]
    [InlineData(nameof(ErrorReportingOptions.ShutdownTimeout), "00:11:00")]
    [InlineData(nameof(ErrorReportingOptions.SendTimeout), "00:00:00")]
    [InlineData(nameof(ErrorReportingOptions.MaxCacheItems), "0")]
    [InlineData(nameof(ErrorReportingOptions.MaxQueueItems), "1000001")]
    [InlineData(nameof(ErrorReportingOptions.SampleRate), "-0.1")]
    [InlineData(nameof(ErrorReportingOptions.SampleRate), "NaN")]
    public void AddErrorReporting_OutOfRangeOption_FailsValidationNamingIt(string option, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [option] = value }).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value);

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddErrorReporting_Configuration_BindsEveryKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ErrorReporting:Dsn"] = "https://key@sentry.example.com/1",
            ["ErrorReporting:Environment"] = "staging",
            ["ErrorReporting:Release"] = "shop@2.0.0",
            ["ErrorReporting:ServerName"] = "web-1",
            ["ErrorReporting:SendDefaultPii"] = "true",
            ["ErrorReporting:MaxQueueItems"] = "50",
            ["ErrorReporting:ShutdownTimeout"] = "00:00:05",
            ["ErrorReporting:SampleRate"] = "0.25",
            ["ErrorReporting:DefaultTags:team"] = "payments",
            ["ErrorReporting:InAppInclude:0"] = "Microsoft.MyCompany",
        }).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration.GetSection("ErrorReporting")).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;

        Assert.Equal("https://key@sentry.example.com/1", options.Dsn);
        Assert.Equal("staging", options.Environment);
        Assert.Equal("shop@2.0.0", options.Release);
        Assert.Equal("web-1", options.ServerName);
        Assert.True(options.SendDefaultPii);
        Assert.Equal(50, options.MaxQueueItems);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ShutdownTimeout);
        Assert.Equal(0.25, options.SampleRate);
        Assert.Equal("payments", options.DefaultTags["team"]);
        Assert.Contains("Microsoft.MyCompany", options.InAppInclude);
    }

    [Fact]
    public void Defaults_UnsetValues_ComeFromSentryEnvironmentVariables()
    {
        var variables = new Dictionary<string, string?>
        {
            ["SENTRY_DSN"] = "https://key@sentry.example.com/1",
            ["SENTRY_ENVIRONMENT"] = "qa",
            ["SENTRY_RELEASE"] = "svc@9",
        };
        var options = new ErrorReportingOptions();

        new ErrorReportingOptionsDefaults(name => variables.GetValueOrDefault(name)).PostConfigure(null, options);

        Assert.Equal("https://key@sentry.example.com/1", options.Dsn);
        Assert.Equal("qa", options.Environment);
        Assert.Equal("svc@9", options.Release);
    }

    [Fact]
    public void Defaults_ValuesSetInCode_WinOverEnvironmentVariables()
    {
        var options = new ErrorReportingOptions { Dsn = string.Empty, Environment = "dev", Release = "r1" };

        new ErrorReportingOptionsDefaults(_ => "from-env").PostConfigure(null, options);

        Assert.Equal(string.Empty, options.Dsn);
        Assert.Equal("dev", options.Environment);
        Assert.Equal("r1", options.Release);
    }

    [Fact]
    public void Defaults_NothingSet_EnvironmentIsProduction()
    {
        var options = new ErrorReportingOptions();

        new ErrorReportingOptionsDefaults(_ => null).PostConfigure(null, options);

        Assert.Null(options.Dsn);
        Assert.Equal("production", options.Environment);
    }

    [Fact]
    public async Task Reporter_UnreachableHost_ReturnsIdNeverThrowsAndFlushReturnsFalse()
    {
        var logs = new ListLoggerProvider();
        var port = ClosedPort();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace))
            .AddErrorReporting(o => o.Dsn = $"http://secretpublickey@127.0.0.1:{port}/42");
        await using var provider = services.BuildServiceProvider();
        var reporter = provider.GetRequiredService<IErrorReporter>();

        var id = reporter.ReportHandled(new InvalidOperationException());
        var flushed = await reporter.FlushAsync(TimeSpan.FromSeconds(1));

        Assert.False(id.IsEmpty);
        Assert.False(flushed);
        await Wait.UntilAsync(() => logs.Messages.Any(m => m.Contains("retry", StringComparison.OrdinalIgnoreCase)), "a retry is logged");
        Assert.DoesNotContain(logs.Messages, m => m.Contains("secretpublickey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reporter_Enabled_LogsRedactedDsn()
    {
        var logs = new ListLoggerProvider();
        await using var provider = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs))
            .AddErrorReporting(o => o.Dsn = "https://verysecretkey:anothersecret@sentry.example.com/5")
            .BuildServiceProvider();

        await Assert.IsType<ErrorReporter>(provider.GetRequiredService<IErrorReporter>()).Pipeline;

        Assert.Contains(logs.Messages, m => m.Contains("https://***@sentry.example.com/5", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("verysecretkey", StringComparison.Ordinal) || m.Contains("anothersecret", StringComparison.Ordinal));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
