using ErrorReporting.Delivery;
using ErrorReporting.Hosting;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sentry.AspNetCore;
using Sentry.Extensions.Logging;

namespace ErrorReporting.Tests.Hosting;

/// <summary>
/// One Sentry per process: ErrorReporting initialises the SDK only when nothing else does, and beside <c>AddSentry()</c>,
/// <c>UseSentry()</c> or <c>SentrySdk.Init</c> (in either order) it reports through their one hub, with its delivery
/// engine installed into their options.
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class OneSentryTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddErrorReporting_BesideAddSentry_ReportsThroughTheirHubWithTheEngine(bool errorReportingFirst)
    {
        await using var server = await SentryTestServer.StartAsync();
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        if (errorReportingFirst)
        {
            services.AddErrorReporting();
        }

        services.AddLogging(builder => builder.AddProvider(logs).AddSentry(o => o.Dsn = server.Dsn));
        if (!errorReportingFirst)
        {
            services.AddErrorReporting();
        }

        var provider = services.BuildServiceProvider();
        try
        {
            var reporter = provider.GetRequiredService<IErrorReporter>();
            var theirOptions = provider.GetRequiredService<IOptions<SentryLoggingOptions>>().Value;

            Assert.True(reporter.IsEnabled);
            var engine = Assert.IsType<DeliveryEngine>(theirOptions.BackgroundWorker);
            Assert.Same(engine, ServingEngine(provider));
            Assert.Equal(ErrorReportingOptions.DefaultMaxItems, theirOptions.MaxQueueItems);
            Assert.Contains(logs.Messages, m => m.Contains("initialised by UseSentry() or AddSentry()", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Messages, m => m.Contains("ErrorReporting initialised the Sentry SDK", StringComparison.Ordinal));
            await AssertOneHubAsync(server, reporter);
        }
        finally
        {
            await provider.DisposeAsync();
            Assert.False(SentrySdk.IsEnabled, "Disposing the container whose engine delivers for the SDK closes the SDK.");
            SentrySdk.Close();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddErrorReporting_BesideUseSentry_ReportsThroughTheirHubWithTheEngine(bool errorReportingFirst)
    {
        await using var server = await SentryTestServer.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (errorReportingFirst)
        {
            builder.Services.AddErrorReporting();
        }

        builder.WebHost.UseSentry(o => o.Dsn = server.Dsn);
        if (!errorReportingFirst)
        {
            builder.Services.AddErrorReporting();
        }

        var app = builder.Build();
        try
        {
            await app.StartAsync();
            var reporter = app.Services.GetRequiredService<IErrorReporter>();
            var theirOptions = app.Services.GetRequiredService<IOptions<SentryAspNetCoreOptions>>().Value;

            Assert.True(reporter.IsEnabled);
            Assert.Same(Assert.IsType<DeliveryEngine>(theirOptions.BackgroundWorker), ServingEngine(app.Services));
            await AssertOneHubAsync(server, reporter);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task AddErrorReporting_AfterSentrySdkInit_UsesThatHubAndSaysTheEngineIsNotInstalled()
    {
        await using var server = await SentryTestServer.StartAsync();
        var logs = new ListLoggerProvider();
        using (SentrySdk.Init(o => o.Dsn = server.Dsn))
        {
            await using var provider = new ServiceCollection()
                .AddLogging(b => b.AddProvider(logs))
                .AddErrorReporting(o => o.Dsn = "https://ignored@127.0.0.1:1/9")
                .BuildServiceProvider();
            var reporter = provider.GetRequiredService<IErrorReporter>();

            var id = reporter.ReportHandled(new InvalidOperationException("through SentrySdk.Init's hub"));
            Assert.True(await reporter.FlushAsync(s_timeout));

            Assert.Equal(id.ToString(), (await server.WaitForEventAsync(id, s_timeout)).EventId);
            Assert.Null(ServingEngine(provider));
            Assert.Contains(logs.Messages, m => m.Contains("without ErrorReporting's delivery engine", StringComparison.Ordinal));
        }

        SentrySdk.Close();
    }

    [Fact]
    public async Task AddErrorReporting_NoHost_InitialisesTheSdkAtTheFirstResolveAndDisposeClosesIt()
    {
        await using var server = await SentryTestServer.StartAsync();
        var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = server.Dsn).BuildServiceProvider();
        try
        {
            Assert.False(SentrySdk.IsEnabled);

            var reporter = provider.GetRequiredService<IErrorReporter>();
            Assert.True(SentrySdk.IsEnabled);
            var id = reporter.ReportMessage("delivered by the dispose flush");

            await provider.DisposeAsync();

            Assert.False(SentrySdk.IsEnabled);
            Assert.False(reporter.IsEnabled);
            Assert.Equal(id.ToString(), Assert.Single(server.Events).EventId);
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task AddErrorReporting_OnAHost_InitialisesTheSdkWhenTheHostStarts()
    {
        await using var server = await SentryTestServer.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddErrorReporting(o => o.Dsn = server.Dsn);
        var host = builder.Build();
        try
        {
            Assert.False(SentrySdk.IsEnabled);

            await host.StartAsync();

            Assert.True(SentrySdk.IsEnabled);
            Assert.NotNull(ServingEngine(host.Services));
            var id = host.Services.GetRequiredService<IErrorReporter>().ReportMessage("on a host");
            await host.StopAsync();
            Assert.Equal(id.ToString(), Assert.Single(server.Events).EventId);
        }
        finally
        {
            host.Dispose();
            Assert.False(SentrySdk.IsEnabled);
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task AddErrorReporting_SecondContainer_UsesTheFirstsHubAndDisposingItLeavesTheSdkOpen()
    {
        await using var server = await SentryTestServer.StartAsync();
        await using var first = new ServiceCollection().AddErrorReporting(o => o.Dsn = server.Dsn).BuildServiceProvider();
        var engine = DeliveryEngineOf(first);
        try
        {
            using (var second = new ServiceCollection().AddErrorReporting(o => o.Dsn = "https://other@127.0.0.1:1/2").BuildServiceProvider())
            {
                second.GetRequiredService<IErrorReporter>().ReportMessage("through the first container's hub");
            }

            Assert.True(SentrySdk.IsEnabled);
            Assert.Same(engine, ServingEngine(first));
            Assert.True(await first.GetRequiredService<IErrorReporter>().FlushAsync(s_timeout));
            Assert.Single(server.Events);
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task AddErrorReporting_DsnFromSentryDsnVariable_IsUsedWithTheEnvironmentVariables()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var environment = new EnvironmentVariables(("SENTRY_DSN", server.Dsn), ("SENTRY_ENVIRONMENT", "from-variable"), ("SENTRY_RELEASE", "variable@3.0.0"));
        await using var harness = SdkHarness.WithoutServer(dsn: null, o =>
        {
            o.Environment = null;
            o.Release = null;
        });

        var id = harness.Reporter.ReportMessage("configured by SENTRY_* variables");
        await harness.FlushAsync();

        var received = await server.WaitForEventAsync(id, s_timeout);
        Assert.Equal("from-variable", received.Environment);
        Assert.Equal("variable@3.0.0", received.Release);
    }

    [Fact]
    public async Task AddErrorReporting_EmptyDsnWithSentryDsnVariable_IsDisabledAndLeavesTheSdkAlone()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var environment = new EnvironmentVariables(("SENTRY_DSN", server.Dsn));
        await using var harness = SdkHarness.WithoutServer(dsn: string.Empty);

        var id = harness.Reporter.ReportMessage("not sent");

        Assert.False(harness.Reporter.IsEnabled);
        Assert.Equal(SentryId.Empty, id);
        Assert.False(SentrySdk.IsEnabled);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task AddErrorReporting_NoDsnAnywhere_IsDisabledAndLeavesTheSdkAlone()
    {
        using var environment = new EnvironmentVariables(("SENTRY_DSN", null));
        await using var harness = SdkHarness.WithoutServer(dsn: null);

        Assert.False(harness.Reporter.IsEnabled);
        Assert.Equal(SentryId.Empty, harness.Reporter.ReportHandled(new InvalidOperationException()));
        Assert.False(SentrySdk.IsEnabled);
    }

    /// <summary>Each report makes exactly one event; the SDK's scope and the SDK's own captures meet ErrorReporting's.</summary>
    private static async Task AssertOneHubAsync(SentryTestServer server, IErrorReporter reporter)
    {
        SentrySdk.ConfigureScope(scope => scope.SetTag("set-through", "SentrySdk.ConfigureScope"));

        var handled = reporter.ReportHandled(Exceptions.Thrown(new InvalidOperationException("handled beside the SDK")));
        var message = reporter.ReportMessage("ReportMessage beside the SDK");
        var direct = SentrySdk.CaptureMessage("SentrySdk.CaptureMessage");
        Assert.True(await reporter.FlushAsync(s_timeout));

        var events = await server.WaitForEventsAsync(3, s_timeout);
        Assert.Equal(
            new[] { handled, message, direct }.Select(id => id.ToString()).Order(StringComparer.Ordinal),
            events.Select(e => e.EventId).Order(StringComparer.Ordinal));
        Assert.Equal(3, server.Events.Count);
        Assert.Equal("SentrySdk.ConfigureScope", server.Events.Single(e => e.EventId == handled.ToString()).Tags["set-through"]);
        Assert.True(server.Events.Single(e => e.EventId == handled.ToString()).Handled);
    }

    private static DeliveryEngine? ServingEngine(IServiceProvider provider) => provider.GetRequiredService<EngineRegistry>().ServingEngine;

    private static DeliveryEngine DeliveryEngineOf(ServiceProvider provider)
    {
        provider.GetRequiredService<IErrorReporter>();
        return Assert.IsType<DeliveryEngine>(provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value.BackgroundWorker);
    }
}
