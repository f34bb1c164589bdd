using ErrorReporting.Hosting;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace ErrorReporting.Tests.Hosting;

/// <summary>
/// In-process tests of the hooks' logic. The crashes themselves are tested in child processes (CrashTests).
/// </summary>
public sealed class UnhandledExceptionHooksTests
{
    [Fact]
    public void Install_Twice_InstallsOnceAndUninstallsWithTheLastHandle()
    {
        using var hooks = new UnhandledExceptionHooks(EnabledReporter(), Options.Create(new ErrorReportingOptions()));

        var first = hooks.Install();
        var second = hooks.Install();
        Assert.True(hooks.IsAppDomainHookInstalled);
        Assert.True(hooks.IsTaskSchedulerHookInstalled);

        first.Dispose();
        first.Dispose();
        Assert.True(hooks.IsAppDomainHookInstalled);
        second.Dispose();
        Assert.False(hooks.IsAppDomainHookInstalled);
        Assert.False(hooks.IsTaskSchedulerHookInstalled);
    }

    [Fact]
    public void Install_OptionsSwitchHooksOff_InstallsNeither()
    {
        var options = new ErrorReportingOptions { CaptureUnhandledExceptions = false, CaptureUnobservedTaskExceptions = false };
        using var hooks = new UnhandledExceptionHooks(EnabledReporter(), Options.Create(options));

        using var installation = hooks.Install();

        Assert.False(hooks.IsAppDomainHookInstalled);
        Assert.False(hooks.IsTaskSchedulerHookInstalled);
    }

    [Fact]
    public void Install_DisabledReporter_InstallsNothing()
    {
        var reporter = Substitute.For<IErrorReporter>();
        reporter.IsEnabled.Returns(false);
        using var hooks = new UnhandledExceptionHooks(reporter, Options.Create(new ErrorReportingOptions()));

        using var installation = hooks.Install();

        Assert.False(hooks.IsAppDomainHookInstalled);
    }

    [Fact]
    public void OnUnhandledException_Terminating_ReportsUnhandledThenFlushes()
    {
        var reporter = EnabledReporter();
        var options = new ErrorReportingOptions { UnhandledExceptionLevel = SentryLevel.Fatal, ShutdownTimeout = TimeSpan.FromSeconds(3) };
        using var hooks = new UnhandledExceptionHooks(reporter, Options.Create(options));
        var exception = new InvalidOperationException();

        hooks.OnUnhandledException(this, new UnhandledExceptionEventArgs(exception, isTerminating: true));

        Received.InOrder(() =>
        {
            reporter.ReportUnhandled(exception, "AppDomain.UnhandledException", SentryLevel.Fatal);
            reporter.FlushAsync(TimeSpan.FromSeconds(3));
        });
    }

    [Fact]
    public void OnUnhandledException_NotTerminating_DoesNotFlush()
    {
        var reporter = EnabledReporter();
        using var hooks = new UnhandledExceptionHooks(reporter, Options.Create(new ErrorReportingOptions()));

        hooks.OnUnhandledException(this, new UnhandledExceptionEventArgs(new InvalidOperationException(), isTerminating: false));

        reporter.Received(1).ReportUnhandled(Arg.Any<Exception>(), "AppDomain.UnhandledException", SentryLevel.Error);
        reporter.DidNotReceiveWithAnyArgs().FlushAsync(default);
    }

    [Fact]
    public void OnUnhandledException_NonExceptionObject_ReportsAWrapper()
    {
        var reporter = EnabledReporter();
        using var hooks = new UnhandledExceptionHooks(reporter, Options.Create(new ErrorReportingOptions()));

        hooks.OnUnhandledException(this, new UnhandledExceptionEventArgs("a string was thrown", isTerminating: false));

        reporter.Received(1).ReportUnhandled(Arg.Is<Exception>(e => e.Message.Contains("a string was thrown")), "AppDomain.UnhandledException", SentryLevel.Error);
    }

    [Fact]
    public void OnUnhandledException_ReporterThrows_DoesNotThrow()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(default!, default!).ReturnsForAnyArgs(_ => throw new InvalidOperationException("transport exploded"));
        using var hooks = new UnhandledExceptionHooks(reporter, Options.Create(new ErrorReportingOptions()));

        var error = Record.Exception(() => hooks.OnUnhandledException(this, new UnhandledExceptionEventArgs(new TimeoutException(), isTerminating: true)));

        Assert.Null(error);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void OnUnobservedTaskException_ReportsAndObservesOnlyWhenAsked(bool observe, bool expectObserved)
    {
        var reporter = EnabledReporter();
        using var hooks = new UnhandledExceptionHooks(reporter, Options.Create(new ErrorReportingOptions { ObserveUnobservedTaskExceptions = observe }));
        var aggregate = new AggregateException(new TimeoutException());
        var args = new UnobservedTaskExceptionEventArgs(aggregate);

        hooks.OnUnobservedTaskException(this, args);

        reporter.Received(1).ReportUnhandled(aggregate, "UnobservedTaskException", SentryLevel.Error);
        reporter.DidNotReceiveWithAnyArgs().FlushAsync(default);
        Assert.Equal(expectObserved, args.Observed);
    }

    [Fact]
    public async Task HostedService_HostStartsAndStops_InstallsHooksAndFlushes()
    {
        var reporter = EnabledReporter();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddErrorReporting(o => o.ShutdownTimeout = TimeSpan.FromSeconds(4));
        builder.Services.AddSingleton(reporter);
        using var host = builder.Build();
        var hooks = host.Services.GetRequiredService<UnhandledExceptionHooks>();

        await host.StartAsync();
        Assert.True(hooks.IsAppDomainHookInstalled);
        await host.StopAsync();

        await reporter.Received(1).FlushAsync(TimeSpan.FromSeconds(4), Arg.Any<CancellationToken>());
        host.Dispose();
        Assert.False(hooks.IsAppDomainHookInstalled);
    }

    [Fact]
    public void InstallUnhandledExceptionHooks_WithoutAddErrorReporting_ThrowsClearError()
    {
        using var provider = new ServiceCollection().BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.InstallUnhandledExceptionHooks());

        Assert.Contains("AddErrorReporting", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>("services", () => ErrorReportingServiceProviderExtensions.InstallUnhandledExceptionHooks(null!));
    }

    [Fact]
    public async Task InstallUnhandledExceptionHooks_Provider_InstallsOnceForTheReporter()
    {
        await using var provider = new ServiceCollection().AddErrorReporting(o => o.Dsn = ReporterHarness.Dsn).BuildServiceProvider();

        using var first = provider.InstallUnhandledExceptionHooks();
        using var second = provider.InstallUnhandledExceptionHooks();

        Assert.True(provider.GetRequiredService<UnhandledExceptionHooks>().IsAppDomainHookInstalled);
    }

    private static IErrorReporter EnabledReporter()
    {
        var reporter = Substitute.For<IErrorReporter>();
        reporter.IsEnabled.Returns(true);
        reporter.FlushAsync(default).ReturnsForAnyArgs(new ValueTask<bool>(true));
        return reporter;
    }
}
