using ErrorReporting.Delivery.Accounting;
using ErrorReporting.HealthChecks;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace ErrorReporting.Tests.HealthChecks;

/// <summary>
/// The health check as an application runs it (<c>services.AddHealthChecks().AddErrorReporting()</c>, the health check
/// service that <c>MapHealthChecks</c> uses), on the wire: the real SDK and delivery engine sending over HTTP to a
/// <see cref="SentryTestServer"/> with scripted faults, and a <see cref="FakeTimeProvider"/> registered in the container,
/// which the engine and the check both use. Every status is the outcome of what the server answered (or did not); the
/// check never sends anything itself. The process-global SDK is initialised, so these tests run one at a time in the
/// SDK's collection and close it (a shutdown timeout of zero: with the fake clock, a flush at shutdown would otherwise
/// wait for time that never passes).
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class ErrorReportingHealthCheckTests(ITestOutputHelper output)
{
    private const string Name = "errorreporting";
    private const string Key = "0123456789abcdef0123456789abcdef";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CheckHealth_NothingSentThenDelivered_HealthyWithTheDeliveryCountedAndTimed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await StartAsync(time);

        var before = await CheckAsync(harness.Provider);
        harness.Reporter.ReportMessage("delivered");
        await harness.FlushAsync();
        var after = await CheckAsync(harness.Provider);

        Assert.Equal(HealthStatus.Healthy, before.Status);
        Assert.Equal(DeliveryHealth.NothingSentYet, before.Description);
        Assert.Equal(0L, before.Data["delivered"]);
        Assert.False(before.Data.ContainsKey("last_delivery"));
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(DeliveryHealth.Delivered, after.Description);
        Assert.Equal(1L, after.Data["delivered"]);
        Assert.Equal(0L, after.Data["queued"]);
        Assert.Equal(0L, after.Data["cached"]);
        Assert.Equal(time.GetUtcNow(), after.Data["last_delivery"]);
        Assert.False(after.Data.ContainsKey("last_failure"));
        Assert.All(DiscardReasonNames, reason => Assert.Equal(0L, after.Data["dropped." + reason]));
        Assert.Single(harness.Server.Events);
    }

    [Theory]
    [InlineData(401, "Sentry rejected the DSN key (HTTP 401: unknown public key '***' in X-Sentry-Auth): the key is wrong or was revoked; check Sentry:Dsn (or SENTRY_DSN).")]
    [InlineData(403, "Sentry refused events for this DSN (HTTP 403: unknown public key '***' in X-Sentry-Auth): the project or its key is disabled; check the project in Sentry and Sentry:Dsn (or SENTRY_DSN).")]
    public async Task CheckHealth_ServerRejectsTheKey_FailureStatusSayingWhatToCheckWithoutTheKeyUntilADelivery(int status, string expected)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await StartAsync(
            time,
            checks => checks.AddErrorReporting().AddErrorReporting(name: "soft", failureStatus: HealthStatus.Degraded, tags: ["ready"]),
            serverOptions: new SentryTestServerOptions { PublicKey = Key });

        // A revoked key is refused on every request (the event, then the client report of its discard); the server
        // echoes the key it refused.
        harness.Server.Faults.Handler = _ => FaultResponse.Status(status, $"{{\"detail\":\"unknown public key '{Key}' in X-Sentry-Auth\"}}");
        harness.Reporter.ReportMessage("refused");
        await harness.FlushAsync();
        var refused = await CheckReportAsync(harness.Provider);
        harness.Server.Faults.Clear();
        harness.Reporter.ReportMessage("accepted after the key was fixed");
        await harness.FlushAsync();
        var accepted = await CheckReportAsync(harness.Provider);

        var entry = refused.Entries[Name];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal(expected, entry.Description);
        Assert.Equal(status, entry.Data["last_failure_status"]);
        Assert.Equal($"HTTP {status}: unknown public key '***' in X-Sentry-Auth", entry.Data["last_failure_reason"]);
        Assert.Equal(1L, entry.Data["dropped.send_error"]);
        Assert.All(entry.Data.Values, value => Assert.DoesNotContain(Key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase));
        Assert.Contains(harness.Logs.Messages, m => m.Contains($"HTTP {status}: unknown public key '***'", StringComparison.Ordinal));
        Assert.All(harness.Logs.Messages, m => Assert.DoesNotContain(Key, m, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HealthStatus.Degraded, refused.Entries["soft"].Status);
        Assert.Equal(expected, refused.Entries["soft"].Description);
        Assert.Equal(["ready"], refused.Entries["soft"].Tags);
        Assert.Equal(HealthStatus.Unhealthy, refused.Status);
        Assert.Equal(HealthStatus.Healthy, accepted.Entries[Name].Status);
        Assert.Equal(DeliveryHealth.Delivered, accepted.Entries[Name].Description);
        Assert.Equal(HealthStatus.Healthy, accepted.Status);
    }

    [Fact]
    public async Task CheckHealth_RateLimitedWithRetryAfter_DegradedNamingTheLimitAndTheTimeLeftUntilItEnds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var start = time.GetUtcNow();
        await using var harness = await StartAsync(time);
        harness.Server.Faults.Enqueue(FaultResponse.RateLimited(retryAfter: "60"));

        // Not flushed: a flush also waits for the client reports, which the limit on all categories holds back.
        harness.Reporter.ReportMessage("meets the 429");
        await Wait.UntilAsync(() => harness.Engine.Counters.Dropped(DiscardReason.RateLimited) == 1, "the 429");
        var limited = await CheckAsync(harness.Provider);
        time.Advance(TimeSpan.FromSeconds(15));
        var later = await CheckAsync(harness.Provider);
        time.Advance(TimeSpan.FromSeconds(45));
        var ended = await CheckAsync(harness.Provider);

        Assert.Equal(HealthStatus.Degraded, limited.Status);
        Assert.Equal("Sentry rate-limits all categories (1 min left): reports of these categories are dropped until then (ratelimit_backoff); check the project's quota and rate limits in Sentry.", limited.Description);
        Assert.Equal(start.AddSeconds(60), limited.Data["rate_limit.all"]);
        Assert.Equal(1L, limited.Data["dropped.rate_limited"]);
        Assert.Equal(429, limited.Data["last_failure_status"]);
        Assert.Equal(start, limited.Data["last_failure"]);
        Assert.Equal(HealthStatus.Degraded, later.Status);
        Assert.StartsWith("Sentry rate-limits all categories (45 s left)", later.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, ended.Status);
        Assert.Equal(DeliveryHealth.RateLimitEnded, ended.Description);
        Assert.False(ended.Data.ContainsKey("rate_limit.all"));
    }

    [Fact]
    public async Task CheckHealth_ConnectionRefused_DegradedThenFailureStatusAfterUnhealthyAfterThenHealthyOnceTheServerListens()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var start = time.GetUtcNow();
        var serverOptions = new SentryTestServerOptions { Port = LoopbackPort.Free(), PublicKey = Key };
        await using var harness = SdkHarness.WithoutServer(
            $"http://{Key}@127.0.0.1:{serverOptions.Port}/{serverOptions.ProjectId}",
            o => o.ShutdownTimeout = TimeSpan.Zero,
            services => services
                .AddSingleton<TimeProvider>(time)
                .AddHealthChecks()
                .AddErrorReporting()
                .AddErrorReporting(o => o.UnhealthyAfter = TimeSpan.FromMinutes(1), name: "impatient"));

        harness.Reporter.ReportMessage("kept while nothing listens");
        await Wait.UntilAsync(() => harness.Engine.Pipeline?.Sender.State.UnreachableSince is not null, "a refused connection");
        var refused = await CheckReportAsync(harness.Provider);
        time.Advance(TimeSpan.FromMinutes(1));
        var minuteLater = await CheckReportAsync(harness.Provider);
        time.Advance(TimeSpan.FromSeconds(3 * 60 + 59));
        var justBefore = await CheckAsync(harness.Provider);
        time.Advance(TimeSpan.FromSeconds(1));
        var fiveMinutesLater = await CheckAsync(harness.Provider);
        await using var server = await SentryTestServer.StartAsync(serverOptions);
        await AdvanceUntilDeliveredAsync(harness, time);
        var recovered = await CheckAsync(harness.Provider);

        var entry = refused.Entries[Name];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Matches($@"^Sentry at 127\.0\.0\.1:{serverOptions.Port} has been unreachable for 0 s \(HttpRequestException: .+\): 1 envelope\(s\) kept and retried; Unhealthy after 5 min\.$", entry.Description);
        Assert.Equal(start, entry.Data["unreachable_since"]);
        Assert.Equal(0, entry.Data["last_failure_status"]);
        Assert.Equal(1L, entry.Data["queued"]);
        Assert.Equal(HealthStatus.Degraded, refused.Entries["impatient"].Status);
        Assert.Equal(HealthStatus.Unhealthy, minuteLater.Entries["impatient"].Status);
        Assert.Equal(HealthStatus.Degraded, minuteLater.Entries[Name].Status);
        Assert.Equal(HealthStatus.Degraded, justBefore.Status);
        Assert.Contains("unreachable for 4 min 59 s", justBefore.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, fiveMinutesLater.Status);
        Assert.Matches($@"^Sentry at 127\.0\.0\.1:{serverOptions.Port} has been unreachable for 5 min \(.+\): 1 envelope\(s\) waiting; check the network path to it \(firewall, DNS, proxy\)\.$", fiveMinutesLater.Description);
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
        Assert.Equal(DeliveryHealth.Delivered, recovered.Description);
        Assert.False(recovered.Data.ContainsKey("unreachable_since"));
        Assert.Single(server.Events);
    }

    [Fact]
    public async Task CheckHealth_QueueFillingBehindAHeldSend_DegradedOver80PercentThenFailureStatusWhenAnErrorEventOverflows()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await StartAsync(time, configure: o => o.MaxQueueItems = 10);
        harness.Server.Faults.Enqueue(FaultResponse.Hang());

        // Without an offline cache, an envelope holds its room in the queue until it is delivered or dropped.
        harness.Reporter.ReportMessage("held by the server");
        await harness.Server.WaitForRequestsAsync(1, s_bound);
        for (var i = 0; i < 7; i++)
        {
            Assert.NotEqual(SentryId.Empty, harness.Reporter.ReportMessage($"waits {i}"));
        }

        await WaitForStoreAsync(harness, 8);
        var eightOfTen = await CheckAsync(harness.Provider);
        harness.Reporter.ReportMessage("ninth");
        var nineOfTen = await CheckAsync(harness.Provider);
        harness.Reporter.ReportMessage("tenth");
        var refusedId = harness.Reporter.ReportMessage("no room");
        await WaitForStoreAsync(harness, 10);
        var overflow = await CheckAsync(harness.Provider);

        Assert.Equal(HealthStatus.Healthy, eightOfTen.Status);
        Assert.Equal(8L, eightOfTen.Data["queued"]);
        Assert.Equal(HealthStatus.Degraded, nineOfTen.Status);
        Assert.Equal("The delivery queue is 90 % full (9 of 10 error events and sessions): they come faster than Sentry takes them; new ones are refused when it is full (raise MaxQueueItems, or find the flood).", nineOfTen.Description);
        Assert.Equal(SentryId.Empty, refusedId);
        Assert.Equal(HealthStatus.Unhealthy, overflow.Status);
        Assert.Equal("Error events were dropped 0 s ago because the delivery queue or the offline cache was full (queue_overflow: 1, cache_overflow: 0 envelopes since start): raise MaxQueueItems or MaxCacheItems, or find what floods them.", overflow.Description);
        Assert.Equal(1L, overflow.Data["dropped.queue_overflow"]);
        Assert.Equal(10L, overflow.Data["queued"]);
    }

    [Fact]
    public async Task CheckHealthAsync_SendHeldOpenByTheServer_CompletesSynchronouslyWithoutWaitingForIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await StartAsync(time);
        harness.Server.Faults.Enqueue(FaultResponse.Hang());
        var (check, context) = CheckOf(harness.Provider);

        harness.Reporter.ReportMessage("held by the server");
        await harness.Server.WaitForRequestsAsync(1, s_bound);
        await Wait.UntilAsync(() => harness.Engine.Pipeline?.Sender.InFlightCount == 1, "the send under way");
        var checking = check.CheckHealthAsync(context);

        // Completed on this thread, before returning, while the send is still held open: the check waited for nothing.
        Assert.True(checking.IsCompletedSuccessfully);
        Assert.Equal(1, harness.Engine.Pipeline!.Sender.InFlightCount);
        var result = await checking;
        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(DeliveryHealth.NothingSentYet, result.Description);
        Assert.Equal(1L, result.Data["queued"]);
    }

    [Fact]
    public async Task CheckHealthAsync_Repeated_AllocatesNothingBeyondItsResult()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await StartAsync(time);
        var (check, context) = CheckOf(harness.Provider);
        harness.Reporter.ReportMessage("delivered");
        await harness.FlushAsync();

        var healthy = ResultAllocation.Measure(() => Run(check, context), inTask: true);
        harness.Server.Faults.Enqueue(FaultResponse.Ok().WithHeader("X-Sentry-Rate-Limits", "60:transaction:organization"));
        harness.Reporter.ReportMessage("announces a limit on transactions");
        await harness.FlushAsync();
        var degraded = ResultAllocation.Measure(() => Run(check, context), inTask: true);
        output.WriteLine($"Healthy: {healthy.PerCall} B per call, its result {healthy.Result} B ({healthy.Entries} data entries). Degraded: {degraded.PerCall} B per call, its result {degraded.Result} B ({degraded.Entries} data entries, a {degraded.DescriptionLength}-character description).");

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.InRange(healthy.PerCall, 1, healthy.Result);
        Assert.InRange(degraded.PerCall, 1, degraded.Result);
    }

    [Fact]
    public async Task CheckHealth_NoDsn_HealthySayingReportingIsDisabled()
    {
        await using var harness = SdkHarness.WithoutServer(string.Empty, services: services => services.AddHealthChecks().AddErrorReporting());

        var entry = await CheckAsync(harness.Provider);

        Assert.False(harness.Reporter.IsEnabled);
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(ErrorReportingHealthCheck.Disabled, entry.Description);
        Assert.Empty(entry.Data);
        Assert.False(SentrySdk.IsEnabled);
    }

    [Fact]
    public async Task CheckHealth_SdkInitialisedBySentrySdkInit_HealthySayingWhatItCannotObserve()
    {
        await using var server = await SentryTestServer.StartAsync();
        try
        {
            using (SentrySdk.Init(o => o.Dsn = server.Dsn))
            {
                var services = new ServiceCollection().AddLogging().AddErrorReporting();
                services.AddHealthChecks().AddErrorReporting();
                await using var provider = services.BuildServiceProvider();
                var reporter = provider.GetRequiredService<IErrorReporter>();

                var entry = await CheckAsync(provider);

                Assert.True(reporter.IsEnabled);
                Assert.Equal(HealthStatus.Healthy, entry.Status);
                Assert.Equal(ErrorReportingHealthCheck.OwnWorker, entry.Description);
                Assert.Empty(entry.Data);
            }
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task CheckHealth_SdkClosedAfterErrorReportingInitialisedIt_DegradedSayingReportsGoNowhere()
    {
        await using var server = await SentryTestServer.StartAsync();
        try
        {
            var services = new ServiceCollection().AddLogging().AddErrorReporting(o => o.Dsn = server.Dsn);
            services.AddHealthChecks().AddErrorReporting();
            await using var provider = services.BuildServiceProvider();
            var reporter = provider.GetRequiredService<IErrorReporter>();
            var before = await CheckAsync(provider);

            SentrySdk.Close();
            var after = await CheckAsync(provider);

            Assert.False(reporter.IsEnabled);
            Assert.Equal(DeliveryHealth.NothingSentYet, before.Description);
            Assert.Equal(HealthStatus.Degraded, after.Status);
            Assert.Equal(ErrorReportingHealthCheck.SdkClosed, after.Description);
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task AddErrorReporting_ProviderBuiltAndHealthCheckServiceResolved_ConnectsNothingUntilTheCheckRuns()
    {
        await using var server = await SentryTestServer.StartAsync();
        try
        {
            var services = new ServiceCollection().AddLogging().AddErrorReporting(o => o.Dsn = server.Dsn);
            services.AddHealthChecks().AddErrorReporting();
            await using var provider = services.BuildServiceProvider();

            var healthChecks = provider.GetRequiredService<HealthCheckService>();
            var connectedBefore = SentrySdk.IsEnabled;
            var report = await healthChecks.CheckHealthAsync();

            // Without a host, the first run connects, as the first resolve of IErrorReporter would.
            Assert.False(connectedBefore);
            Assert.True(SentrySdk.IsEnabled);
            Assert.Equal(HealthStatus.Healthy, report.Entries[Name].Status);
            Assert.Equal(DeliveryHealth.NothingSentYet, report.Entries[Name].Description);
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task CheckHealth_ErrorReportingNotRegistered_FailureStatusSayingToRegisterIt()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddErrorReporting(failureStatus: HealthStatus.Degraded);
        await using var provider = services.BuildServiceProvider();

        var entry = await CheckAsync(provider);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal(ErrorReportingHealthCheck.NotRegistered, entry.Description);
    }

    [Fact]
    public async Task CheckHealth_UnhealthyAfterNotPositive_FailureStatusNamingTheOption()
    {
        var services = new ServiceCollection().AddLogging().AddErrorReporting(o => o.Dsn = string.Empty);
        services.AddHealthChecks().AddErrorReporting();
        services.Configure<ErrorReportingHealthCheckOptions>(Name, o => o.UnhealthyAfter = TimeSpan.FromSeconds(-1));
        await using var provider = services.BuildServiceProvider();

        var entry = await CheckAsync(provider);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("ErrorReporting cannot run, its options are invalid: ErrorReportingHealthCheckOptions.UnhealthyAfter is -00:00:01; expected more than 00:00:00.", entry.Description);
    }

    [Fact]
    public void AddErrorReporting_Options_ApplyPerRegistrationNameAndConfigureAllToEvery()
    {
        var services = new ServiceCollection();
        services.ConfigureAll<ErrorReportingHealthCheckOptions>(o => o.UnhealthyAfter = TimeSpan.FromMinutes(2));
        services.AddHealthChecks()
            .AddErrorReporting()
            .AddErrorReporting(o => o.UnhealthyAfter = TimeSpan.FromSeconds(30), name: "fast", tags: ["ready", "sentry"]);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<ErrorReportingHealthCheckOptions>>();
        var registrations = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        Assert.Equal(TimeSpan.FromMinutes(5), new ErrorReportingHealthCheckOptions().UnhealthyAfter);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Get(Name).UnhealthyAfter);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Get("fast").UnhealthyAfter);
        Assert.Equal([Name, "fast"], registrations.Select(r => r.Name));
        Assert.All(registrations, r => Assert.Equal(HealthStatus.Unhealthy, r.FailureStatus));
        Assert.Equal(["ready", "sentry"], registrations.Single(r => r.Name == "fast").Tags.Order());
        Assert.Empty(registrations.Single(r => r.Name == Name).Tags);
    }

    [Fact]
    public void AddErrorReporting_NullArguments_Throw()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        Assert.Throws<ArgumentNullException>("builder", () => ErrorReportingHealthChecksBuilderExtensions.AddErrorReporting(null!));
        Assert.Throws<ArgumentNullException>("name", () => builder.AddErrorReporting(name: null!));
        Assert.Throws<ArgumentNullException>("builder", () => ErrorReportingHealthChecksBuilderExtensions.AddErrorReporting(null!, _ => { }));
        Assert.Throws<ArgumentNullException>("configure", () => builder.AddErrorReporting((Action<ErrorReportingHealthCheckOptions>)null!));
        Assert.Throws<ArgumentNullException>("name", () => builder.AddErrorReporting(_ => { }, name: null!));
    }

    private static IEnumerable<string> DiscardReasonNames => Enumerable.Range(0, DiscardReasons.Count).Select(i => ((DiscardReason)i).ToWireName());

    /// <summary>Starts a server and ErrorReporting on the fake clock, with the default registration unless <paramref name="checks"/> says otherwise.</summary>
    private static Task<SdkHarness> StartAsync(
        FakeTimeProvider time,
        Action<IHealthChecksBuilder>? checks = null,
        Action<ErrorReportingOptions>? configure = null,
        SentryTestServerOptions? serverOptions = null)
        => SdkHarness.StartAsync(
            o =>
            {
                o.ShutdownTimeout = TimeSpan.Zero;
                configure?.Invoke(o);
            },
            serverOptions,
            services =>
            {
                var builder = services.AddSingleton<TimeProvider>(time).AddHealthChecks();
                if (checks is null)
                {
                    builder.AddErrorReporting();
                }
                else
                {
                    checks(builder);
                }
            });

    /// <summary>Runs every registered check as <c>MapHealthChecks</c> does (the health check service).</summary>
    private static async Task<HealthReport> CheckReportAsync(IServiceProvider provider)
    {
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.All(report.Entries.Values, entry => Assert.Null(entry.Exception));
        return report;
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider provider) => (await CheckReportAsync(provider)).Entries[Name];

    /// <summary>The check of the default registration, as the health check service gets it, and the context it passes.</summary>
    private static (IHealthCheck Check, HealthCheckContext Context) CheckOf(IServiceProvider provider)
    {
        var registration = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Single(r => r.Name == Name);
        return (registration.Factory(provider), new HealthCheckContext { Registration = registration });
    }

    /// <summary>Waits until the engine's intake has moved <paramref name="count"/> envelopes from the queue into its store.</summary>
    private static Task WaitForStoreAsync(SdkHarness harness, int count)
        => Wait.UntilAsync(() => harness.Engine.Pipeline?.Store.Count == count, $"{count} envelopes in the store");

    /// <summary>With the fake clock: lets the engine's retries happen until the waiting envelope is delivered.</summary>
    private static async Task AdvanceUntilDeliveredAsync(SdkHarness harness, FakeTimeProvider time)
    {
        var sender = harness.Engine.Pipeline!.Sender;
        for (var attempt = 0; sender.State.LastDeliveredAt is null; attempt++)
        {
            Assert.True(attempt < 10, "The envelope was not delivered within 10 retries.");
            var next = await Wait.ForAsync(
                () => sender.State.LastDeliveredAt is not null ? time.GetUtcNow() : sender.NextLook is { } at && at > time.GetUtcNow() ? at : (DateTimeOffset?)null,
                "a delivery or the next retry");
            time.SetUtcNow(next);
        }
    }

    private static HealthCheckResult Run(IHealthCheck check, HealthCheckContext context)
    {
        var task = check.CheckHealthAsync(context);
        Assert.True(task.IsCompletedSuccessfully);
#pragma warning disable xUnit1031 // Completed (asserted above): nothing blocks.
        return task.Result;
#pragma warning restore xUnit1031
    }
}
