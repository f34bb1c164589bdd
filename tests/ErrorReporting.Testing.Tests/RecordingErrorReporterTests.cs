using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace ErrorReporting.Testing.Tests;

public sealed class RecordingErrorReporterTests
{
    [Fact]
    public void ReportHandled_Exception_RecordsHandledReport()
    {
        var reporter = new RecordingErrorReporter();
        var exception = new InvalidOperationException("boom");

        var id = reporter.ReportHandled(exception);

        var report = Assert.Single(reporter.Reports);
        Assert.Equal(RecordedReportKind.Handled, report.Kind);
        Assert.Same(exception, report.Exception);
        Assert.Null(report.Message);
        Assert.Equal(SentryLevel.Error, report.Level);
        Assert.True(report.Handled);
        Assert.Null(report.Mechanism);
        Assert.Equal(id, report.EventId);
        Assert.NotEqual(SentryId.Empty, id);
    }

    [Fact]
    public void ReportHandled_NoCallback_RecordsAnEmptyFreshScope()
    {
        var reporter = new RecordingErrorReporter();

        reporter.ReportHandled(new InvalidOperationException());

        var report = Assert.Single(reporter.Reports);
        Assert.NotNull(report.Scope);
        Assert.Empty(report.Tags);
        Assert.Empty(report.Scope.Extra);
        Assert.Empty(report.Scope.Fingerprint);
        Assert.Null(report.Scope.User.Id);
        Assert.Null(report.Scope.Level);
    }

    [Fact]
    public void ReportHandled_ScopeCallback_RecordsTagsExtraUserLevelAndFingerprint()
    {
        var reporter = new RecordingErrorReporter();
        var exception = new InvalidOperationException("boom");

        reporter.ReportHandled(exception, scope =>
        {
            scope.SetTag("order", "42");
            scope.SetExtra("attempt", 3);
            scope.User = new SentryUser { Id = "user-7" };
            scope.Level = SentryLevel.Warning;
            scope.Fingerprint = ["orders", "{{ default }}"];
        });

        var report = Assert.Single(reporter.Reports);
        Assert.Equal("42", report.Tags["order"]);
        Assert.Equal("42", report.Scope.Tags["order"]);
        Assert.Equal(3, report.Scope.Extra["attempt"]);
        Assert.Equal("user-7", report.Scope.User.Id);
        Assert.Equal(["orders", "{{ default }}"], report.Scope.Fingerprint);
        Assert.Equal(SentryLevel.Warning, report.Level);
    }

    [Fact]
    public void Report_ScopeCallbacks_EachCallGetsAFreshScope()
    {
        var reporter = new RecordingErrorReporter();

        reporter.ReportMessage("first", configureScope: scope => scope.SetTag("tenant", "acme"));
        reporter.ReportMessage("second");
        reporter.ReportHandled(new InvalidOperationException(), scope => scope.SetTag("other", "x"));

        Assert.Equal("acme", reporter.Reports[0].Tags["tenant"]);
        Assert.Empty(reporter.Reports[1].Tags);
        Assert.Equal(["other"], reporter.Reports[2].Tags.Keys);
        Assert.NotSame(reporter.Reports[0].Scope, reporter.Reports[2].Scope);
    }

    [Fact]
    public void Report_ScopeCallbackThrows_ReturnsEmptyAndRecordsNothing()
    {
        var reporter = new RecordingErrorReporter();
        Action<Scope> broken = scope =>
        {
            scope.SetTag("half", "done");
            throw new InvalidOperationException("broken callback");
        };

        Assert.Equal(SentryId.Empty, reporter.ReportHandled(new InvalidOperationException(), broken));
        Assert.Equal(SentryId.Empty, reporter.ReportUnhandled(new InvalidOperationException(), "Worker.Loop", broken));
        Assert.Equal(SentryId.Empty, reporter.ReportMessage("m", SentryLevel.Info, broken));

        Assert.Equal(0, reporter.Count);
        Assert.NotEqual(SentryId.Empty, reporter.ReportMessage("after"));
        Assert.Equal("after", Assert.Single(reporter.Reports).Message);
    }

    [Fact]
    public void ReportUnhandled_Exception_RecordsUnhandledWithMechanism()
    {
        var reporter = new RecordingErrorReporter();
        var exception = new InvalidOperationException("crash");

        var id = reporter.ReportUnhandled(exception, "AppDomain.UnhandledException", scope => scope.Level = SentryLevel.Fatal);

        var report = Assert.Single(reporter.Reports);
        Assert.Equal(RecordedReportKind.Unhandled, report.Kind);
        Assert.Same(exception, report.Exception);
        Assert.False(report.Handled);
        Assert.Equal("AppDomain.UnhandledException", report.Mechanism);
        Assert.Equal(SentryLevel.Fatal, report.Level);
        Assert.Equal(id, report.EventId);
    }

    [Fact]
    public void ReportUnhandled_NoCallback_ErrorLevel()
    {
        var reporter = new RecordingErrorReporter();

        reporter.ReportUnhandled(new InvalidOperationException(), "Worker.Loop");

        Assert.Equal(SentryLevel.Error, reporter.LatestReport?.Level);
        Assert.Empty(reporter.LatestReport!.Tags);
    }

    [Fact]
    public void ReportMessage_Text_RecordsMessageAtInfo()
    {
        var reporter = new RecordingErrorReporter();

        var id = reporter.ReportMessage("Cache warmed");

        var report = Assert.Single(reporter.Reports);
        Assert.Equal(RecordedReportKind.Message, report.Kind);
        Assert.Equal("Cache warmed", report.Message);
        Assert.Null(report.Exception);
        Assert.Equal(SentryLevel.Info, report.Level);
        Assert.True(report.Handled);
        Assert.Equal(id, report.EventId);
    }

    [Fact]
    public void ReportMessage_Level_RecordsThePassedLevel()
    {
        var reporter = new RecordingErrorReporter();

        reporter.ReportMessage("Disk almost full", SentryLevel.Warning);

        Assert.Equal(SentryLevel.Warning, reporter.LatestReport?.Level);
        Assert.Equal("Disk almost full", reporter.LatestReport?.Message);
    }

    [Fact]
    public void ReportMessage_ScopeCallbackSetsLevel_ScopeLevelRecorded()
    {
        var reporter = new RecordingErrorReporter();

        reporter.ReportMessage("m", SentryLevel.Info, scope =>
        {
            scope.Level = SentryLevel.Debug;
            scope.SetTag("area", "cache");
        });

        Assert.Equal(SentryLevel.Debug, reporter.LatestReport?.Level);
        Assert.Equal("cache", reporter.LatestReport?.Tags["area"]);
    }

    [Fact]
    public void Report_SameExceptionTwice_RecordsBothWithDistinctIds()
    {
        var reporter = new RecordingErrorReporter();
        var exception = new InvalidOperationException();

        var first = reporter.ReportHandled(exception);
        var second = reporter.ReportHandled(exception);
        var third = reporter.ReportUnhandled(exception, "Worker.Loop");

        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
        Assert.Equal([first, second, third], reporter.Reports.Where(r => r.Exception == exception).Select(r => r.EventId));
        Assert.Equal(first, reporter.Find(exception)?.EventId);
        Assert.Equal([RecordedReportKind.Handled, RecordedReportKind.Handled, RecordedReportKind.Unhandled], reporter.Reports.Select(r => r.Kind));
    }

    [Fact]
    public void Report_NullArguments_ThrowArgumentNullException()
    {
        var reporter = new RecordingErrorReporter();

        Assert.Throws<ArgumentNullException>("exception", () => reporter.ReportHandled(null!));
        Assert.Throws<ArgumentNullException>("exception", () => reporter.ReportHandled(null!, scope => scope.SetTag("k", "v")));
        Assert.Throws<ArgumentNullException>("exception", () => reporter.ReportUnhandled(null!, "m"));
        Assert.Throws<ArgumentNullException>("mechanism", () => reporter.ReportUnhandled(new InvalidOperationException(), null!));
        Assert.Throws<ArgumentNullException>("message", () => reporter.ReportMessage(null!));
        Assert.Throws<ArgumentNullException>("message", () => reporter.ReportMessage(null!, SentryLevel.Warning, scope => scope.SetTag("k", "v")));
        Assert.Throws<ArgumentNullException>("exception", () => reporter.Find(null!));
        Assert.Empty(reporter.Reports);
    }

    [Fact]
    public void Constructor_NoTimeProvider_TimestampsWithTheSystemClock()
    {
        var before = DateTimeOffset.UtcNow;
        var reporter = new RecordingErrorReporter(timeProvider: null);

        reporter.ReportMessage("m");

        Assert.InRange(Assert.Single(reporter.Reports).Timestamp, before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void FindAll_ByType_FiltersInOrder()
    {
        var reporter = new RecordingErrorReporter();
        reporter.ReportHandled(new ArgumentException("a"));
        reporter.ReportMessage("m");
        reporter.ReportUnhandled(new ArgumentNullException("p"), "x");
        reporter.ReportHandled(new InvalidOperationException("b"));

        Assert.Equal(["a", "Value cannot be null. (Parameter 'p')"], reporter.FindAll<ArgumentException>().Select(r => r.Exception!.Message));
        Assert.Null(reporter.Find(new InvalidOperationException("b")));
        Assert.Equal("b", reporter.LatestReport?.Exception?.Message);
        Assert.Equal(4, reporter.Count);
    }

    [Fact]
    public void GetSnapshot_Clear_ReturnsReportsAndEmpties()
    {
        var reporter = new RecordingErrorReporter();
        reporter.ReportMessage("one");
        reporter.ReportMessage("two");

        var kept = reporter.GetSnapshot();
        var taken = reporter.GetSnapshot(clear: true);

        Assert.Equal(["one", "two"], kept.Select(r => r.Message));
        Assert.Equal(["one", "two"], taken.Select(r => r.Message));
        Assert.Empty(reporter.Reports);
        Assert.Null(reporter.LatestReport);
    }

    [Fact]
    public void Clear_AfterReports_Empties()
    {
        var reporter = new RecordingErrorReporter();
        reporter.ReportMessage("one");

        reporter.Clear();

        Assert.Empty(reporter.Reports);
        Assert.Equal(0, reporter.Count);
    }

    [Fact]
    public void Report_TimeProvider_StampsReports()
    {
        var now = new DateTimeOffset(2025, 1, 15, 10, 20, 30, TimeSpan.Zero);
        var reporter = new RecordingErrorReporter(new FixedTimeProvider(now));

        reporter.ReportMessage("m");

        Assert.Equal(now, reporter.LatestReport?.Timestamp);
    }

    [Fact]
    public async Task FlushAsync_Called_ReturnsTrueAndCounts()
    {
        var reporter = new RecordingErrorReporter();

        Assert.True(reporter.IsEnabled);
        Assert.True(await reporter.FlushAsync(TimeSpan.FromSeconds(1)));
        Assert.True(await reporter.FlushAsync(Timeout.InfiniteTimeSpan));
        Assert.True(await reporter.FlushAsync(TimeSpan.Zero));
        Assert.Equal(3, reporter.FlushCount);
    }

    [Fact]
    public async Task FlushAsync_InvalidArguments_Throw()
    {
        var reporter = new RecordingErrorReporter();
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("timeout", () => reporter.FlushAsync(TimeSpan.FromSeconds(-5)).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("timeout", () => reporter.FlushAsync(TimeSpan.FromMilliseconds(-2)).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reporter.FlushAsync(TimeSpan.FromSeconds(1), canceled.Token).AsTask());
        Assert.Equal(0, reporter.FlushCount);
    }

    [Fact]
    public async Task Report_ConcurrentCalls_AllRecorded()
    {
        var reporter = new RecordingErrorReporter();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                reporter.ReportMessage($"{worker}:{i}");
            }
        })));

        Assert.Equal(4000, reporter.Count);
        Assert.Equal(4000, reporter.Reports.Select(r => r.EventId).Distinct().Count());
    }

    [Fact]
    public void AddRecordingErrorReporter_ResolvesErrorReporterToTheRecorder()
    {
        var services = new ServiceCollection();

        var returned = services.AddRecordingErrorReporter();
        using var provider = services.BuildServiceProvider();

        Assert.Same(services, returned);
        var recorder = provider.GetRequiredService<RecordingErrorReporter>();
        Assert.Same(recorder, provider.GetRequiredService<IErrorReporter>());
        provider.GetRequiredService<IErrorReporter>().ReportMessage("via DI");
        Assert.Equal("via DI", recorder.LatestReport?.Message);
    }

    [Fact]
    public void AddRecordingErrorReporter_ReplacesExistingRegistration()
    {
        var services = new ServiceCollection();
        services.AddErrorReporting(options => options.Dsn = "https://key@example.invalid/1");
        services.AddSingleton(Substitute.For<IErrorReporter>());

        services.AddRecordingErrorReporter();
        services.AddRecordingErrorReporter();
        using var provider = services.BuildServiceProvider();

        Assert.Single(services, descriptor => descriptor.ServiceType == typeof(IErrorReporter));
        Assert.Single(services, descriptor => descriptor.ServiceType == typeof(RecordingErrorReporter));
        Assert.IsType<RecordingErrorReporter>(provider.GetRequiredService<IErrorReporter>());
        Assert.Single(provider.GetServices<IErrorReporter>());
    }

    [Fact]
    public void AddRecordingErrorReporter_RegisteredTimeProvider_Used()
    {
        var now = new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FixedTimeProvider(now));
        services.AddRecordingErrorReporter();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IErrorReporter>().ReportMessage("m");

        Assert.Equal(now, provider.GetRequiredService<RecordingErrorReporter>().LatestReport?.Timestamp);
    }

    [Fact]
    public void AddRecordingErrorReporter_NullServices_Throws()
    {
        Assert.Throws<ArgumentNullException>("services", () => RecordingErrorReporterServiceCollectionExtensions.AddRecordingErrorReporter(null!));
    }

    [Fact]
    public void RecordingErrorReporter_WorksAsSubstituteTarget_ForConsumerCode()
    {
        var reporter = new RecordingErrorReporter();
        var service = new OrderService(reporter);

        service.Process("bad");

        var report = Assert.Single(reporter.FindAll<FormatException>());
        Assert.Equal("bad", report.Tags["input"]);
        Assert.True(report.Handled);
    }

    private sealed class OrderService(IErrorReporter reporter)
    {
        public void Process(string input)
        {
            try
            {
                _ = int.Parse(input, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (FormatException exception)
            {
                reporter.ReportHandled(exception, scope => scope.SetTag("input", input));
            }
        }
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
