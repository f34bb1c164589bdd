using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;
using ErrorReporting.Tests.Infrastructure;
using NSubstitute;

namespace ErrorReporting.Tests.Reporting;

public sealed class ErrorReporterTests
{
    [Fact]
    public async Task ReportHandled_Exception_SendsHandledTrueOnLastValueWithReturnedId()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Exceptions.Thrown(new InvalidOperationException("boom"));

        var (id, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        Assert.False(id.IsEmpty);
        Assert.Equal(id.ToString(), envelope.HeaderEventId);
        Assert.Equal(id.ToString(), envelope.EventJson.GetProperty("event_id").GetString());
        var mechanism = envelope.LastException.GetProperty("mechanism");
        Assert.True(mechanism.GetProperty("handled").GetBoolean());
        Assert.Equal("generic", mechanism.GetProperty("type").GetString());
        Assert.Equal("System.InvalidOperationException", envelope.LastException.GetProperty("type").GetString());
        Assert.Equal("boom", envelope.LastException.GetProperty("value").GetString());
        Assert.Equal("error", envelope.EventJson.GetProperty("level").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportUnhandled_Exception_SendsHandledFalseWithMechanismType()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Exceptions.Thrown(new InvalidOperationException("crash"));

        var (id, envelope) = await harness.ReportOneAsync(r => r.ReportUnhandled(exception, "Worker.Loop"));

        Assert.Equal(id.ToString(), envelope.HeaderEventId);
        var mechanism = envelope.LastException.GetProperty("mechanism");
        Assert.False(mechanism.GetProperty("handled").GetBoolean());
        Assert.Equal("Worker.Loop", mechanism.GetProperty("type").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportMessage_Text_SendsLogEntryWithoutException()
    {
        await using var harness = ReporterHarness.Create();

        var (id, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("cache warmed"));

        var json = envelope.EventJson;
        Assert.Equal(id.ToString(), json.GetProperty("event_id").GetString());
        Assert.Equal("cache warmed", json.GetProperty("logentry").GetProperty("message").GetString());
        Assert.Equal("info", json.GetProperty("level").GetString());
        Assert.False(json.TryGetProperty("exception", out _));
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Theory]
    [InlineData(SentryLevel.Debug, "debug")]
    [InlineData(SentryLevel.Info, "info")]
    [InlineData(SentryLevel.Warning, "warning")]
    [InlineData(SentryLevel.Error, "error")]
    [InlineData(SentryLevel.Fatal, "fatal")]
    public async Task ReportMessage_Level_WritesSentryLevelName(SentryLevel level, string expected)
    {
        await using var harness = ReporterHarness.Create();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("text", level));

        Assert.Equal(expected, envelope.EventJson.GetProperty("level").GetString());
    }

    [Fact]
    public async Task ReportHandled_Level_WritesLevel()
    {
        await using var harness = ReporterHarness.Create();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(new TimeoutException(), SentryLevel.Warning));

        Assert.Equal("warning", envelope.EventJson.GetProperty("level").GetString());
    }

    [Fact]
    public async Task ReportHandled_UndefinedLevel_FallsBackToError()
    {
        await using var harness = ReporterHarness.Create();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(new TimeoutException(), (SentryLevel)42));

        Assert.Equal("error", envelope.EventJson.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Report_AnyEvent_CarriesEnvironmentReleasePlatformSdkAndContexts()
    {
        await using var harness = ReporterHarness.Create(o => o.DefaultTags["service"] = "orders");

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("hello"));

        var json = envelope.EventJson;
        Assert.Equal("csharp", json.GetProperty("platform").GetString());
        Assert.Equal("test", json.GetProperty("environment").GetString());
        Assert.Equal("app@1.2.3", json.GetProperty("release").GetString());
        Assert.Equal("errorreporting.dotnet", json.GetProperty("sdk").GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("sdk").GetProperty("version").GetString()));
        Assert.Equal("runtime", json.GetProperty("contexts").GetProperty("runtime").GetProperty("type").GetString());
        Assert.Equal("os", json.GetProperty("contexts").GetProperty("os").GetProperty("type").GetString());
        Assert.Equal("orders", json.GetProperty("tags").GetProperty("service").GetString());
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("timestamp").GetString(), out _));
        Assert.False(json.TryGetProperty("server_name", out _));
    }

    [Fact]
    public async Task Report_ServerNameConfigured_IsSent()
    {
        await using var harness = ReporterHarness.Create(o => o.ServerName = "web-7");

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("hello"));

        Assert.Equal("web-7", envelope.EventJson.GetProperty("server_name").GetString());
    }

    [Fact]
    public async Task Report_SendDefaultPii_SendsMachineNameAsServerName()
    {
        await using var harness = ReporterHarness.Create(o => o.SendDefaultPii = true);

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("hello"));

        Assert.Equal(Environment.MachineName, envelope.EventJson.GetProperty("server_name").GetString());
    }

    [Fact]
    public async Task Report_Context_SendsTagsExtraUserAndFingerprint()
    {
        await using var harness = ReporterHarness.Create(o => o.DefaultTags["tier"] = "default");
        var context = new ReportContext
        {
            Tags = { ["tier"] = "gold", ["order"] = "42" },
            Extra = { ["attempt"] = 3, ["items"] = new[] { "a", "b" }, ["when"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) },
            User = new SentryUser { Id = "u-1", Username = "ada", Email = "ada@example.com", IpAddress = "10.0.0.1" },
            Fingerprint = ["{{ default }}", "orders"],
        };

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(new InvalidOperationException(), context: context));

        var json = envelope.EventJson;
        Assert.Equal("gold", json.GetProperty("tags").GetProperty("tier").GetString());
        Assert.Equal("42", json.GetProperty("tags").GetProperty("order").GetString());
        Assert.Equal(3, json.GetProperty("extra").GetProperty("attempt").GetInt32());
        Assert.Equal(["a", "b"], json.GetProperty("extra").GetProperty("items").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("2026-01-02T03:04:05+00:00", json.GetProperty("extra").GetProperty("when").GetString());
        var user = json.GetProperty("user");
        Assert.Equal("u-1", user.GetProperty("id").GetString());
        Assert.Equal("ada", user.GetProperty("username").GetString());
        Assert.Equal("ada@example.com", user.GetProperty("email").GetString());
        Assert.Equal("10.0.0.1", user.GetProperty("ip_address").GetString());
        Assert.Equal(["{{ default }}", "orders"], json.GetProperty("fingerprint").EnumerateArray().Select(e => e.GetString()));
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task Report_ContextRequestAndTransaction_AreSent()
    {
        await using var harness = ReporterHarness.Create();
        var request = new ErrorReporting.Events.SentryRequest { Method = "GET", Url = "https://shop.example/orders/7", QueryString = "page=2" };
        request.Headers["Accept"] = "application/json";

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportUnhandled(new InvalidOperationException(), "test", context: new ReportContext { Request = request, Transaction = "GET /orders/{id}" }));

        var json = envelope.EventJson;
        Assert.Equal("GET /orders/{id}", json.GetProperty("transaction").GetString());
        Assert.Equal("GET", json.GetProperty("request").GetProperty("method").GetString());
        Assert.Equal("https://shop.example/orders/7", json.GetProperty("request").GetProperty("url").GetString());
        Assert.Equal("page=2", json.GetProperty("request").GetProperty("query_string").GetString());
        Assert.Equal("application/json", json.GetProperty("request").GetProperty("headers").GetProperty("Accept").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportMessage_Context_SendsTags()
    {
        await using var harness = ReporterHarness.Create();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("m", SentryLevel.Warning, new ReportContext { Tags = { ["k"] = "v" } }));

        Assert.Equal("v", envelope.EventJson.GetProperty("tags").GetProperty("k").GetString());
    }

    [Fact]
    public async Task Report_Scope_AppliesScopeTagsUnderCallTags()
    {
        await using var harness = ReporterHarness.Create();
        using var scope = ErrorReportingScope.Begin();
        scope.SetTag("tenant", "acme");
        scope.SetTag("region", "eu");

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("m", context: new ReportContext { Tags = { ["region"] = "us" } }));

        var tags = envelope.EventJson.GetProperty("tags");
        Assert.Equal("acme", tags.GetProperty("tenant").GetString());
        Assert.Equal("us", tags.GetProperty("region").GetString());
    }

    [Fact]
    public async Task ReportHandled_InnerException_ChainsInnermostFirstWithIds()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Exceptions.Nested();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        var values = envelope.EventJson.GetProperty("exception").GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(2, values.Count);
        Assert.Equal("System.FormatException", values[0].GetProperty("type").GetString());
        Assert.Equal("System.InvalidOperationException", values[1].GetProperty("type").GetString());
        var inner = values[0].GetProperty("mechanism");
        Assert.Equal("chained", inner.GetProperty("type").GetString());
        Assert.Equal("InnerException", inner.GetProperty("source").GetString());
        Assert.Equal(1, inner.GetProperty("exception_id").GetInt32());
        Assert.Equal(0, inner.GetProperty("parent_id").GetInt32());
        var outer = values[1].GetProperty("mechanism");
        Assert.Equal(0, outer.GetProperty("exception_id").GetInt32());
        Assert.False(outer.TryGetProperty("parent_id", out _));
        Assert.True(outer.GetProperty("handled").GetBoolean());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportHandled_ThrownException_SendsFramesOldestFirstWithFileAndInApp()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Exceptions.Nested();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        var inner = envelope.EventJson.GetProperty("exception").GetProperty("values")[0];
        var frames = inner.GetProperty("stacktrace").GetProperty("frames").EnumerateArray().ToList();
        Assert.Equal(["Level1", "Level2"], frames.Select(f => f.GetProperty("function").GetString()));
        Assert.All(frames, f => Assert.Equal("ErrorReporting.Tests.Infrastructure.Exceptions", f.GetProperty("module").GetString()));
        Assert.All(frames, f => Assert.True(f.GetProperty("in_app").GetBoolean()));
        Assert.All(frames, f => Assert.EndsWith("Exceptions.cs", f.GetProperty("filename").GetString(), StringComparison.Ordinal));
        Assert.All(frames, f => Assert.True(f.GetProperty("lineno").GetInt32() > 0));
    }

    [Fact]
    public async Task ReportHandled_AsyncMethod_NamesFrameBySourceMethod()
    {
        await using var harness = ReporterHarness.Create();
        var exception = await ThrowingAsync();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        var frames = envelope.LastException.GetProperty("stacktrace").GetProperty("frames").EnumerateArray();
        Assert.Contains(frames, f => f.GetProperty("function").GetString() == nameof(ThrowingAsync)
            && f.GetProperty("module").GetString() == typeof(ErrorReporterTests).FullName);
    }

    [Fact]
    public async Task ReportHandled_SystemFrames_AreNotInApp()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Assert.Throws<FormatException>(() => int.Parse("x", System.Globalization.CultureInfo.InvariantCulture));

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        var frames = envelope.LastException.GetProperty("stacktrace").GetProperty("frames").EnumerateArray().ToList();
        Assert.Contains(frames, f => f.GetProperty("module").GetString()!.StartsWith("System.", StringComparison.Ordinal) && !f.GetProperty("in_app").GetBoolean());
    }

    [Fact]
    public async Task ReportHandled_SameExceptionTwice_SendsOnceAndReturnsFirstId()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Exceptions.Thrown(new InvalidOperationException());

        var first = harness.Reporter.ReportHandled(exception);
        var second = harness.Reporter.ReportHandled(exception);
        await harness.FlushAsync();
        var third = harness.Reporter.ReportUnhandled(exception, "test");
        await harness.FlushAsync();

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        var envelope = Assert.Single(harness.SentEvents);
        Assert.True(envelope.LastException.GetProperty("mechanism").GetProperty("handled").GetBoolean());
    }

    [Fact]
    public async Task ReportUnhandled_AggregateOfReportedException_IsNotReportedAgain()
    {
        await using var harness = ReporterHarness.Create();
        var inner = Exceptions.Thrown(new InvalidOperationException());
        var first = harness.Reporter.ReportHandled(inner);

        var second = harness.Reporter.ReportUnhandled(new AggregateException(inner), "UnobservedTaskException");
        await harness.FlushAsync();

        Assert.Equal(first, second);
        Assert.Single(harness.SentEvents);
    }

    [Fact]
    public async Task ReportHandled_AggregateException_IsExceptionGroupWithInnerValues()
    {
        await using var harness = ReporterHarness.Create();
        var aggregate = new AggregateException("several", new InvalidOperationException("one"), new FormatException("two"));

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(aggregate));

        var values = envelope.EventJson.GetProperty("exception").GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(3, values.Count);
        var root = values[^1];
        Assert.Equal("System.AggregateException", root.GetProperty("type").GetString());
        Assert.Equal("several", root.GetProperty("value").GetString());
        Assert.True(root.GetProperty("mechanism").GetProperty("is_exception_group").GetBoolean());
        Assert.Equal(["InnerExceptions[1]", "InnerExceptions[0]"], values.Take(2).Select(v => v.GetProperty("mechanism").GetProperty("source").GetString()));
        Assert.All(values.Take(2), v => Assert.Equal(0, v.GetProperty("mechanism").GetProperty("parent_id").GetInt32()));
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task BeforeSend_ModifiesEvent_ModificationIsSent()
    {
        await using var harness = ReporterHarness.Create(o => o.BeforeSend = e =>
        {
            e.Tags["scrubbed"] = "yes";
            e.Message = "[redacted]";
            return e;
        });

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("secret 1234"));

        Assert.Equal("[redacted]", envelope.EventJson.GetProperty("logentry").GetProperty("message").GetString());
        Assert.Equal("yes", envelope.EventJson.GetProperty("tags").GetProperty("scrubbed").GetString());
    }

    [Fact]
    public async Task BeforeSend_ReturnsNull_DropsAndCountsBeforeSend()
    {
        await using var harness = ReporterHarness.Create(o => o.BeforeSend = e => e.Exception is TimeoutException ? null : e);

        harness.Reporter.ReportHandled(new TimeoutException());
        harness.Reporter.ReportHandled(new InvalidOperationException());
        await harness.FlushAsync();

        var envelope = Assert.Single(harness.SentEvents);
        Assert.Equal("System.InvalidOperationException", envelope.LastException.GetProperty("type").GetString());
        Assert.Equal(1, harness.Enabled.Counters.Dropped(DiscardReason.BeforeSend));
    }

    [Fact]
    public async Task BeforeSend_Throws_SendsEventUnmodified()
    {
        await using var harness = ReporterHarness.Create(o => o.BeforeSend = _ => throw new InvalidOperationException("callback bug"));

        var (id, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("still sent"));

        Assert.Equal(id.ToString(), envelope.HeaderEventId);
    }

    [Fact]
    public async Task Report_SampleRateZero_ReturnsEmptyAndCountsSampleRate()
    {
        await using var harness = ReporterHarness.Create(o => o.SampleRate = 0);

        var id = harness.Reporter.ReportHandled(new InvalidOperationException());
        await harness.FlushAsync();

        Assert.True(id.IsEmpty);
        Assert.Empty(harness.SentEvents);
        Assert.Equal(1, harness.Enabled.Counters.Dropped(DiscardReason.SampleRate));
    }

    [Fact]
    public async Task FlushAsync_AfterDrops_SendsClientReport()
    {
        await using var harness = ReporterHarness.Create(o => o.SampleRate = 0);

        harness.Reporter.ReportMessage("a");
        harness.Reporter.ReportMessage("b");
        await harness.FlushAsync();

        var report = Assert.Single(harness.Sent, e => e.ClientReport is not null).ClientReport!.Value;
        var discarded = Assert.Single(report.GetProperty("discarded_events").EnumerateArray());
        Assert.Equal("sample_rate", discarded.GetProperty("reason").GetString());
        Assert.Equal("error", discarded.GetProperty("category").GetString());
        Assert.Equal(2, discarded.GetProperty("quantity").GetInt32());
        await Conformance.AssertValidAsync(harness.SentBytes.Single());
    }

    [Fact]
    public async Task ReportHandled_QueueFull_ReturnsEmptyCountsOverflowAndNeverBlocks()
    {
        var release = new TaskCompletionSource();
        var transport = Task.Run(async () => await release.Task);
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 4, respond: _ =>
        {
            release.Task.Wait(TimeSpan.FromSeconds(30));
            return new TransportResponse(200);
        });

        var ids = Enumerable.Range(0, 100).Select(i => harness.Reporter.ReportMessage($"m{i}")).ToList();
        release.SetResult();
        await harness.FlushAsync();

        var accepted = ids.Where(id => !id.IsEmpty).ToList();
        var dropped = ids.Count - accepted.Count;
        Assert.True(dropped > 0);
        Assert.Equal(dropped, harness.Enabled.Counters.Dropped(DiscardReason.QueueOverflow));
        Assert.Equal(accepted.Select(id => id.ToString()).Order(), harness.SentEvents.Select(e => e.HeaderEventId).Order());
    }

    [Fact]
    public async Task FlushAsync_TransportNeverAnswers_ReturnsFalseAtTimeout()
    {
        var never = new TaskCompletionSource<TransportResponse>();
        await using var harness = ReporterHarness.Create(o => o.ShutdownTimeout = TimeSpan.Zero);
        harness.Transport.SendAsync(Arg.Any<ReadOnlyMemory<byte>>(), Arg.Any<CancellationToken>()).Returns(call => never.Task.WaitAsync(call.Arg<CancellationToken>()));

        var id = harness.Reporter.ReportMessage("stuck");
        var flushed = await harness.Reporter.FlushAsync(TimeSpan.FromMilliseconds(200));

        Assert.False(id.IsEmpty);
        Assert.False(flushed);
    }

    [Fact]
    public async Task FlushAsync_NegativeTimeout_Throws()
    {
        await using var harness = ReporterHarness.Create();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await harness.Reporter.FlushAsync(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public async Task FlushAsync_Canceled_Throws()
    {
        var never = new TaskCompletionSource<TransportResponse>();
        await using var harness = ReporterHarness.Create(o => o.ShutdownTimeout = TimeSpan.Zero);
        harness.Transport.SendAsync(Arg.Any<ReadOnlyMemory<byte>>(), Arg.Any<CancellationToken>()).Returns(call => never.Task.WaitAsync(call.Arg<CancellationToken>()));
        harness.Reporter.ReportMessage("stuck");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await harness.Reporter.FlushAsync(Timeout.InfiniteTimeSpan, new CancellationTokenSource(100).Token));
    }

    [Fact]
    public async Task Report_NullArguments_ThrowArgumentNullException()
    {
        await using var harness = ReporterHarness.Create();

        Assert.Throws<ArgumentNullException>("exception", () => harness.Reporter.ReportHandled(null!));
        Assert.Throws<ArgumentNullException>("exception", () => harness.Reporter.ReportUnhandled(null!, "m"));
        Assert.Throws<ArgumentNullException>("mechanism", () => harness.Reporter.ReportUnhandled(new InvalidOperationException(), null!));
        Assert.Throws<ArgumentNullException>("message", () => harness.Reporter.ReportMessage(null!));
    }

    [Fact]
    public async Task Report_AfterDispose_ReturnsEmpty()
    {
        var harness = ReporterHarness.Create();
        await harness.DisposeAsync();

        Assert.True(harness.Reporter.ReportMessage("late").IsEmpty);
    }

    [Fact]
    public async Task Dispose_PendingReports_AreFlushedFirst()
    {
        var harness = ReporterHarness.Create();
        var ids = Enumerable.Range(0, 20).Select(i => harness.Reporter.ReportMessage($"m{i}")).ToList();

        await harness.DisposeAsync();

        Assert.Equal(ids.Select(id => id.ToString()), harness.SentEvents.Select(e => e.HeaderEventId));
    }

    [Fact]
    public async Task Report_ManyThreads_EveryReturnedIdIsSentOnceAndIdsAreUnique()
    {
        await using var harness = ReporterHarness.Create(o => o.MaxQueueItems = 10_000);
        var exceptions = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 250).Select(i => new InvalidOperationException(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray()).ToArray();

        var ids = await Task.WhenAll(exceptions.Select(batch => Task.Run(() => batch.Select(e => harness.Reporter.ReportHandled(e)).ToList())));
        await harness.FlushAsync();

        var returned = ids.SelectMany(batch => batch).Select(id => id.ToString()).ToList();
        Assert.Equal(2000, returned.Distinct().Count());
        Assert.Equal(returned.Order(), harness.SentEvents.Select(e => e.HeaderEventId).Order());
        Assert.All(harness.SentEvents, e => Assert.Equal(e.HeaderEventId, e.EventJson.GetProperty("event_id").GetString()));
    }

    [Fact]
    public async Task Counters_QuietMoment_ReportedEqualsDeliveredPlusDroppedPlusQueued()
    {
        await using var harness = ReporterHarness.Create(o => o.BeforeSend = e => e.Message == "drop" ? null : e);

        harness.Reporter.ReportMessage("keep");
        harness.Reporter.ReportMessage("drop");
        harness.Reporter.ReportHandled(new InvalidOperationException());
        await harness.FlushAsync();

        var counters = harness.Enabled.Counters;
        Assert.Equal(3, counters.Reported);
        Assert.Equal(2, counters.Delivered);
        Assert.Equal(1, counters.DroppedTotal);
        Assert.Equal(0, counters.Queued);
    }

    private static async Task<Exception> ThrowingAsync()
    {
        await Task.Yield();
        try
        {
            throw new InvalidOperationException("async");
        }
        catch (InvalidOperationException exception)
        {
            return exception;
        }
    }
}
