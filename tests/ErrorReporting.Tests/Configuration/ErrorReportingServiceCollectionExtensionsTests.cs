using ErrorReporting.Configuration;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Tests.Configuration;

/// <summary>Registration, configuration binding and validation; none of these tests initialises the SDK.</summary>
public sealed class ErrorReportingServiceCollectionExtensionsTests
{
    [Fact]
    public void AddErrorReporting_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingServiceCollectionExtensions.AddErrorReporting(null!));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingServiceCollectionExtensions.AddErrorReporting(null!, _ => { }));
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingServiceCollectionExtensions.AddErrorReporting(null!, new ConfigurationBuilder().Build()));
        Assert.Throws<ArgumentNullException>("configure", () => new ServiceCollection().AddErrorReporting((Action<ErrorReportingOptions>)null!));
        Assert.Throws<ArgumentNullException>("configuration", () => new ServiceCollection().AddErrorReporting((IConfiguration)null!));
    }

    [Fact]
    public void AddErrorReporting_CalledTwice_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();

        services.AddErrorReporting().AddErrorReporting(o => o.Environment = "x").AddErrorReporting(new ConfigurationBuilder().Build());
        var once = new ServiceCollection().AddErrorReporting();

        Assert.Single(services, d => d.ServiceType == typeof(IErrorReporter));
        Assert.Equal(
            once.Select(d => (d.ServiceType, d.ImplementationType)),
            services.Where(d => d.ServiceType != typeof(IConfigureOptions<ErrorReportingOptions>)).Select(d => (d.ServiceType, d.ImplementationType)));
    }

    [Fact]
    public void AddErrorReporting_CalledTwice_AppliesEveryConfigurationInOrder()
    {
        using var provider = new ServiceCollection()
            .AddErrorReporting(o => o.Environment = "first")
            .AddErrorReporting(o => o.Environment += "+second")
            .BuildServiceProvider();

        Assert.Equal("first+second", provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value.Environment);
    }

    [Fact]
    public void ErrorReportingOptions_Defaults_AreErrorReportingsWhereTheyDifferFromTheSdk()
    {
        var options = new ErrorReportingOptions();
        var sdk = new SentryOptions();

        Assert.Equal(1000, options.MaxQueueItems);
        Assert.Equal(1000, options.MaxCacheItems);
        Assert.False(options.AttachStacktrace);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SendTimeout);
        Assert.Equal(global::ErrorReporting.Hosting.SentryOptionsDefaults.SdkDefaultMaxItems, sdk.MaxQueueItems);
        Assert.Equal(global::ErrorReporting.Hosting.SentryOptionsDefaults.SdkDefaultMaxItems, sdk.MaxCacheItems);
        Assert.True(sdk.AttachStacktrace);
        Assert.Equal(sdk.ShutdownTimeout, options.ShutdownTimeout);
    }

    [Fact]
    public async Task AddErrorReporting_NoDsn_ResolvesDisabledReporterWithoutInitialisingTheSdk()
    {
        var logs = new ListLoggerProvider();
        await using var provider = new ServiceCollection().AddLogging(b => b.AddProvider(logs)).AddErrorReporting(o => o.Dsn = string.Empty).BuildServiceProvider();

        var reporter = provider.GetRequiredService<IErrorReporter>();

        Assert.False(reporter.IsEnabled);
        Assert.Equal(SentryId.Empty, reporter.ReportHandled(new InvalidOperationException()));
        Assert.Equal(SentryId.Empty, reporter.ReportUnhandled(new InvalidOperationException(), "m"));
        Assert.Equal(SentryId.Empty, reporter.ReportMessage("m"));
        Assert.True(await reporter.FlushAsync(TimeSpan.Zero));
        Assert.Single(logs.Messages, m => m.Contains("disabled", StringComparison.Ordinal));
    }

    [Fact]
    public void DisabledReporter_NullArguments_ThrowArgumentNullException()
    {
        using var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = string.Empty).BuildServiceProvider();
        var reporter = provider.GetRequiredService<IErrorReporter>();

        Assert.Throws<ArgumentNullException>("exception", () => reporter.ReportHandled(null!));
        Assert.Throws<ArgumentNullException>("exception", () => reporter.ReportUnhandled(null!, "m"));
        Assert.Throws<ArgumentNullException>("mechanism", () => reporter.ReportUnhandled(new InvalidOperationException(), null!));
        Assert.Throws<ArgumentNullException>("message", () => reporter.ReportMessage(null!));
        Assert.Throws<ArgumentOutOfRangeException>("timeout", () => reporter.FlushAsync(TimeSpan.FromSeconds(-1)));
    }

    [Theory]
    [InlineData("https://sentry.example.com/42", "No public key")]
    [InlineData("not a dsn", "Invalid URI")]
    [InlineData("https://key@sentry.example.com/", "Project Id")]
    public void AddErrorReporting_InvalidDsn_FailsAtFirstResolveNamingDsn(string dsn, string reason)
    {
        using var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = dsn).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IErrorReporter>());

        Assert.Contains("ErrorReportingOptions.Dsn is not a valid Sentry DSN", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AddErrorReporting_InvalidDsnWithSecret_NeverShowsTheKeysInTheMessage()
    {
        using var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = "https://publickey0123:secret4567@sentry.example.com").BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IErrorReporter>());

        Assert.Contains("Dsn", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("publickey0123", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret4567", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddErrorReporting_InvalidDsnWithHost_FailsAtHostStartNotAtTheFirstReport()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddErrorReporting(o => o.Dsn = "not a dsn");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Dsn", error.Message, StringComparison.Ordinal);
        Assert.False(SentrySdk.IsEnabled);
    }

    [Theory]
    [InlineData(nameof(ErrorReportingOptions.MaxQueueItems), "0")]
    [InlineData(nameof(ErrorReportingOptions.MaxQueueItems), "1000001")]
    [InlineData(nameof(ErrorReportingOptions.MaxCacheItems), "0")]
    [InlineData(nameof(ErrorReportingOptions.SampleRate), "1.5")]
    [InlineData(nameof(ErrorReportingOptions.SampleRate), "0")]
    [InlineData(nameof(ErrorReportingOptions.ShutdownTimeout), "-00:00:01")]
    [InlineData(nameof(ErrorReportingOptions.ShutdownTimeout), "00:11:00")]
    [InlineData(nameof(ErrorReportingOptions.FlushTimeout), "-00:00:01")]
    [InlineData(nameof(ErrorReportingOptions.SendTimeout), "00:00:00")]
    [InlineData(nameof(ErrorReportingOptions.TracesSampleRate), "2")]
    [InlineData(nameof(ErrorReportingOptions.CacheDirectoryPath), "  ")]
    public void AddErrorReporting_InvalidValueInConfiguration_FailsValidationNamingTheOption(string option, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [option] = value }).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value);

        Assert.Contains($"ErrorReportingOptions.{option}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddErrorReporting_BlankDefaultTagKey_FailsValidation()
    {
        using var provider = new ServiceCollection().AddErrorReporting(o => o.DefaultTags[" "] = "x").BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value);

        Assert.Contains("DefaultTags", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddErrorReporting_SentrySection_BindsTheSdksOptionNames()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sentry:Dsn"] = "https://key@sentry.example.com/1",
            ["Sentry:Environment"] = "staging",
            ["Sentry:Release"] = "shop@2.0.0",
            ["Sentry:Distribution"] = "eu",
            ["Sentry:ServerName"] = "web-1",
            ["Sentry:SendDefaultPii"] = "true",
            ["Sentry:AttachStacktrace"] = "true",
            ["Sentry:MaxQueueItems"] = "50",
            ["Sentry:MaxCacheItems"] = "60",
            ["Sentry:CacheDirectoryPath"] = "/tmp/cache",
            ["Sentry:ShutdownTimeout"] = "00:00:05",
            ["Sentry:FlushTimeout"] = "00:00:04",
            ["Sentry:SendTimeout"] = "00:00:07",
            ["Sentry:SampleRate"] = "0.25",
            ["Sentry:SendClientReports"] = "false",
            ["Sentry:Debug"] = "true",
            ["Sentry:DiagnosticLevel"] = "Warning",
            ["Sentry:EnableSpotlight"] = "true",
            ["Sentry:SpotlightUrl"] = "http://localhost:9999/stream",
            ["Sentry:StackTraceMode"] = "Original",
            ["Sentry:ReportAssembliesMode"] = "None",
            ["Sentry:DefaultTags:team"] = "payments",
            ["Sentry:TagFilters:0"] = "secret",
        }).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration.GetSection("Sentry")).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;

        Assert.Equal("https://key@sentry.example.com/1", options.Dsn);
        Assert.Equal("staging", options.Environment);
        Assert.Equal("shop@2.0.0", options.Release);
        Assert.Equal("eu", options.Distribution);
        Assert.Equal("web-1", options.ServerName);
        Assert.True(options.SendDefaultPii);
        Assert.True(options.AttachStacktrace);
        Assert.Equal(50, options.MaxQueueItems);
        Assert.Equal(60, options.MaxCacheItems);
        Assert.Equal("/tmp/cache", options.CacheDirectoryPath);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), options.FlushTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), options.SendTimeout);
        Assert.Equal(0.25f, options.SampleRate);
        Assert.False(options.SendClientReports);
        Assert.True(options.Debug);
        Assert.Equal(SentryLevel.Warning, options.DiagnosticLevel);
        Assert.True(options.EnableSpotlight);
        Assert.Equal("http://localhost:9999/stream", options.SpotlightUrl);
        Assert.Equal(StackTraceMode.Original, options.StackTraceMode);
        Assert.Equal(ReportAssembliesMode.None, options.ReportAssembliesMode);
        Assert.Equal("payments", options.DefaultTags["team"]);
        Assert.Single(options.TagFilters);
    }

    [Fact]
    public void AddErrorReporting_EmptyDsnInConfiguration_IsEmptyNotNull()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dsn"] = string.Empty }).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration).BuildServiceProvider();

        Assert.Equal(string.Empty, provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value.Dsn);
    }

    [Fact]
    public void AddErrorReporting_KeyAbsentFromConfiguration_KeepsTheDefault()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Environment"] = "staging" }).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;

        Assert.Null(options.Dsn);
        Assert.Equal(1000, options.MaxQueueItems);
        Assert.False(options.AttachStacktrace);
    }

    [Fact]
    public void ValidateOnStart_IsRegistered_ForTheHost()
    {
        var services = new ServiceCollection().AddErrorReporting();

        Assert.Contains(services, d => d.ServiceType == typeof(IValidateOptions<ErrorReportingOptions>) && d.ImplementationType == typeof(ErrorReportingOptionsValidator));
        Assert.Contains(services, d => d.ServiceType.Name.StartsWith("IStartupValidator", StringComparison.Ordinal));
    }
}
