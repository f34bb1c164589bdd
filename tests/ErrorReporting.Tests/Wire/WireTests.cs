using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.Tests.Wire;

/// <summary>
/// What arrives on the wire when ErrorReporting reports through the real SDK (its serializer, its envelopes) and the
/// delivery engine sends: the handled marker, the mechanism, the event id the call returned, the SDK's name, and that
/// Sentry's own envelope parser and Relay's event schema accept every envelope.
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class WireTests
{
    [Fact]
    public async Task ReportHandled_OnTheWire_IsHandledGenericWithTheReturnedIdAndValid()
    {
        await using var harness = await SdkHarness.StartAsync();
        var exception = Exceptions.Nested();

        var id = harness.Reporter.ReportHandled(exception, scope => scope.SetTag("order", "42"));
        await harness.FlushAsync();

        Assert.NotEqual(SentryId.Empty, id);
        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.Equal(id.ToString(), received.EventId);
        Assert.Equal(id.ToString(), received.EnvelopeEventId);
        Assert.True(received.Handled);
        Assert.Equal("generic", received.MechanismType);
        Assert.Equal("error", received.Level);
        Assert.Equal("sentry.dotnet", received.SdkName);
        Assert.Equal("6.12.1", received.SdkVersion);
        Assert.Equal("test", received.Environment);
        Assert.Equal("tests@1.0.0", received.Release);
        Assert.Equal("42", received.Tags["order"]);
        Assert.Equal(["System.FormatException", "System.InvalidOperationException"], received.Exceptions.Select(e => e.Type));
        Assert.Equal("chained", received.Exceptions[0].Mechanism?.Type);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Fact]
    public async Task ReportUnhandled_OnTheWire_IsNotHandledWithTheMechanism()
    {
        await using var harness = await SdkHarness.StartAsync();

        var id = harness.Reporter.ReportUnhandled(Exceptions.Thrown(new TimeoutException("slow")), " Worker Loop ");
        await harness.FlushAsync();

        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.False(received.Handled);
        Assert.Equal("Worker_Loop", received.MechanismType);
        Assert.False(received.Exceptions[^1].Mechanism?.Handled);
        Assert.Equal("sentry.dotnet", received.SdkName);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Fact]
    public async Task ReportMessage_OnTheWire_CarriesTextLevelAndNoCallerStackByDefault()
    {
        await using var harness = await SdkHarness.StartAsync();

        var id = harness.Reporter.ReportMessage("cache warmed", SentryLevel.Warning);
        await harness.FlushAsync();

        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.Equal("cache warmed", received.Message);
        Assert.Equal("warning", received.Level);
        Assert.Empty(received.Exceptions);
        Assert.False(received.Json.TryGetProperty("threads", out _));
        Assert.Equal("sentry.dotnet", received.SdkName);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Fact]
    public async Task ReportMessage_AttachStacktraceOn_CarriesTheCallersStack()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.AttachStacktrace = true);

        var id = harness.Reporter.ReportMessage("with a stack");
        await harness.FlushAsync();

        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.True(received.Json.TryGetProperty("threads", out var threads), received.RawJson);
        Assert.Contains(nameof(ReportMessage_AttachStacktraceOn_CarriesTheCallersStack), threads.GetRawText(), StringComparison.Ordinal);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Fact]
    public async Task ReportHandled_CallersDataEntries_StayAndTheSdksKeysAreRemoved()
    {
        await using var harness = await SdkHarness.StartAsync();
        var exception = Exceptions.Thrown(new InvalidOperationException("with data"));
        exception.Data["order"] = 42;
        exception.Data["customer"] = "c-7";

        var id = harness.Reporter.ReportHandled(exception);
        await harness.FlushAsync();

        Assert.Equal(42, exception.Data["order"]);
        Assert.Equal("c-7", exception.Data["customer"]);
        Assert.Equal(2, exception.Data.Count);
        Assert.DoesNotContain(exception.Data.Keys.Cast<object>(), key => key is string text && text.StartsWith("Sentry:", StringComparison.Ordinal));
        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.Equal("42", received.Exceptions[^1].Mechanism?.Data["order"]);
    }

    [Fact]
    public async Task ReportUnhandled_AfterReportHandled_SendsOneHandledEvent()
    {
        await using var harness = await SdkHarness.StartAsync();
        var exception = Exceptions.Thrown(new FormatException("reported, then rethrown"));

        var first = harness.Reporter.ReportHandled(exception);
        var second = harness.Reporter.ReportUnhandled(exception, "AppDomain.UnhandledException");
        var direct = SentrySdk.CaptureException(exception);
        await harness.FlushAsync();

        Assert.Equal(first, second);
        Assert.Equal(SentryId.Empty, direct);
        var received = Assert.Single(harness.Server.Events);
        Assert.True(received.Handled);
        Assert.Equal(first.ToString(), received.EventId);
    }

    [Fact]
    public async Task ReportHandled_ScopeConfiguredGlobally_CarriesTheScopesTag()
    {
        await using var harness = await SdkHarness.StartAsync();
        SentrySdk.ConfigureScope(scope => scope.SetTag("tenant", "acme"));

        var id = harness.Reporter.ReportHandled(new InvalidOperationException("scoped"));
        await harness.FlushAsync();

        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.Equal("acme", received.Tags["tenant"]);
    }

    [Fact]
    public async Task ReportHandled_ScopeCallbackLevelUserFingerprint_AreOnTheEvent()
    {
        await using var harness = await SdkHarness.StartAsync();

        var id = harness.Reporter.ReportHandled(new InvalidOperationException("configured"), scope =>
        {
            scope.Level = SentryLevel.Warning;
            scope.User = new SentryUser { Id = "u-1" };
            scope.SetFingerprint(["checkout", "{{ default }}"]);
            scope.SetExtra("basket", 3);
        });
        await harness.FlushAsync();

        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.Equal("warning", received.Level);
        Assert.Equal("u-1", received.User?.Id);
        Assert.Equal(["checkout", "{{ default }}"], received.Fingerprint);
        Assert.Equal(3, received.Extra?.GetProperty("basket").GetInt32());
    }

    [Fact]
    public async Task ReportHandled_ScopeCallbackThrows_ReportsNothingAndDoesNotThrow()
    {
        await using var harness = await SdkHarness.StartAsync();

        var id = harness.Reporter.ReportHandled(new InvalidOperationException(), _ => throw new InvalidOperationException("broken callback"));
        var after = harness.Reporter.ReportMessage("after");
        await harness.FlushAsync();

        Assert.Equal(SentryId.Empty, id);
        Assert.Equal(after.ToString(), Assert.Single(harness.Server.Events).EventId);
    }

    [Fact]
    public async Task ReportHandled_SampledOut_ReturnsEmptyAndSendsNoEvent()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.SampleRate = 0.000001f);

        var ids = Enumerable.Range(0, 20).Select(i => harness.Reporter.ReportHandled(new InvalidOperationException($"sampled {i}"))).ToList();
        await harness.FlushAsync();

        Assert.All(ids, id => Assert.Equal(SentryId.Empty, id));
        Assert.Empty(harness.Server.Events);
        await harness.Server.WaitForClientReportsAsync(reports => reports.Sum(r => r.Quantity("sample_rate", "error")) == 20, SdkHarness.Timeout);
    }

    [Fact]
    public async Task ReportHandled_DroppedByBeforeSend_ReturnsEmpty()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.SetBeforeSend(e => e.Exception is TimeoutException ? null : e));

        var dropped = harness.Reporter.ReportHandled(new TimeoutException());
        var kept = harness.Reporter.ReportHandled(new InvalidOperationException());
        await harness.FlushAsync();

        Assert.Equal(SentryId.Empty, dropped);
        Assert.Equal(kept.ToString(), Assert.Single(harness.Server.Events).EventId);
    }

    [Fact]
    public async Task SdkCapture_DirectCalls_GoThroughTheSameEngineAndServer()
    {
        await using var harness = await SdkHarness.StartAsync();

        var ours = harness.Reporter.ReportMessage("through ErrorReporting");
        var theirs = SentrySdk.CaptureMessage("through SentrySdk");
        await harness.FlushAsync();

        Assert.NotEqual(SentryId.Empty, theirs);
        Assert.Equal(
            new[] { ours.ToString(), theirs.ToString() }.Order(StringComparer.Ordinal),
            harness.Server.Events.Select(e => e.EventId).Order(StringComparer.Ordinal));
        Assert.All(harness.Server.Events, e => Assert.Equal("sentry.dotnet", e.SdkName));
    }

    [Fact]
    public async Task Report_EverySdkEnvelope_PassesTheConformanceJudges()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.AttachStacktrace = true);

        harness.Reporter.ReportHandled(Exceptions.Nested());
        harness.Reporter.ReportUnhandled(new AggregateException(Exceptions.Thrown(new TimeoutException("a")), Exceptions.Thrown(new FormatException("b"))), "Tests.Aggregate");
        harness.Reporter.ReportMessage("a message with a stack");
        SentrySdk.AddBreadcrumb("a breadcrumb");
        harness.Reporter.ReportMessage("after a breadcrumb");
        await harness.FlushAsync();

        Assert.Equal(4, harness.Server.Events.Count);
        foreach (var envelope in harness.Server.Envelopes)
        {
            await Conformance.AssertValidAsync(envelope.RawBytes);
        }
    }

    [Fact]
    public async Task Report_MechanismOfTheLastValue_DecidesHandled()
    {
        await using var harness = await SdkHarness.StartAsync();

        var id = harness.Reporter.ReportUnhandled(Exceptions.Nested(), "Tests.Nested");
        await harness.FlushAsync();

        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        var last = received.Exceptions[^1];
        Assert.Equal("Tests.Nested", last.Mechanism?.Type);
        Assert.False(last.Mechanism?.Handled);
        Assert.False(received.Handled);
    }
}
