using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Wire;

/// <summary>
/// The real reporter against a real Sentry-compatible server on loopback: what arrives is what Sentry would see.
/// </summary>
public sealed class WireTests
{
    [Fact]
    public async Task ReportHandled_OverHttp_ArrivesWithSentryHeadersGzipAndHandledTrue()
    {
        await using var wire = await WireHarness.StartAsync(o => o.DefaultTags["service"] = "checkout");
        var exception = Exceptions.Nested();

        var id = wire.Reporter.ReportHandled(exception, context: new ReportContext
        {
            Tags = { ["order"] = "A-17" },
            User = new SentryUser { Id = "u-9", Email = "u9@example.com" },
            Fingerprint = ["checkout", "{{ default }}"],
        });
        var received = await wire.Server.WaitForEventAsync(id, WireHarness.Timeout);

        var envelope = received.Envelope;
        Assert.Matches(@"^Sentry sentry_version=7,sentry_client=errorreporting\.dotnet/[0-9][^,]*,sentry_key=" + wire.Server.PublicKey + "$", envelope.SentryAuth);
        Assert.Equal("application/x-sentry-envelope", envelope.ContentType);
        Assert.Equal("gzip", envelope.ContentEncoding);
        Assert.StartsWith("errorreporting.dotnet/", envelope.UserAgent, StringComparison.Ordinal);
        Assert.Equal(id.ToString(), envelope.EventId);
        Assert.Equal(id.ToString(), received.EventId);
        Assert.NotNull(envelope.SentAt);
        Assert.True(received.Handled);
        Assert.Equal("generic", received.MechanismType);
        Assert.Equal("error", received.Level);
        Assert.Equal("csharp", received.Platform);
        Assert.Equal("test", received.Environment);
        Assert.Equal("app@1.2.3", received.Release);
        Assert.Equal("checkout", received.Tags["service"]);
        Assert.Equal("A-17", received.Tags["order"]);
        Assert.Equal("u-9", received.User?.Id);
        Assert.Equal("u9@example.com", received.User?.Email);
        Assert.Equal(["checkout", "{{ default }}"], received.Fingerprint);
        Assert.Equal(["System.FormatException", "System.InvalidOperationException"], received.Exceptions.Select(e => e.Type));
        Assert.Empty(wire.Server.Rejections);
        await Conformance.AssertValidAsync(envelope.RawBytes);
    }

    [Fact]
    public async Task ReportMessage_OverHttp_ArrivesAsLogEntryWithLevel()
    {
        await using var wire = await WireHarness.StartAsync();

        var id = wire.Reporter.ReportMessage("Cache warmed in 42 ms", SentryLevel.Warning, new ReportContext { Tags = { ["cache"] = "products" } });
        var received = await wire.Server.WaitForEventAsync(id, WireHarness.Timeout);

        Assert.Equal("Cache warmed in 42 ms", received.Message);
        Assert.Equal("warning", received.Level);
        Assert.Empty(received.Exceptions);
        Assert.Null(received.Handled);
        Assert.Equal("products", received.Tags["cache"]);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Fact]
    public async Task ReportUnhandled_OverHttp_ArrivesWithHandledFalse()
    {
        await using var wire = await WireHarness.StartAsync();

        var id = wire.Reporter.ReportUnhandled(Exceptions.Thrown(new TimeoutException("gave up")), "Worker.Loop", SentryLevel.Fatal);
        var received = await wire.Server.WaitForEventAsync(id, WireHarness.Timeout);

        Assert.False(received.Handled);
        Assert.Equal("Worker.Loop", received.MechanismType);
        Assert.Equal("fatal", received.Level);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
    }

    [Fact]
    public async Task Report_DsnWithSecretKey_SendsSentrySecret()
    {
        await using var wire = await WireHarness.StartAsync(serverOptions: new SentryTestServerOptions { SecretKey = "s3cr3t" });

        var id = wire.Reporter.ReportMessage("with secret");
        var received = await wire.Server.WaitForEventAsync(id, WireHarness.Timeout);

        Assert.EndsWith(",sentry_secret=s3cr3t", received.Envelope.SentryAuth, StringComparison.Ordinal);
        Assert.DoesNotContain(wire.Logs.Messages, m => m.Contains("s3cr3t", StringComparison.Ordinal) || m.Contains(wire.Server.PublicKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Report_ManyKinds_EveryEventIsAcceptedAndMatchesTheSchema()
    {
        await using var wire = await WireHarness.StartAsync(o => o.SendDefaultPii = true);
        var ids = new List<SentryEventId>
        {
            wire.Reporter.ReportHandled(new AggregateException(new InvalidOperationException("a"), Exceptions.Thrown(new FormatException("b")))),
            wire.Reporter.ReportHandled(new InvalidOperationException(new string('x', 20_000))),
            wire.Reporter.ReportMessage("ünïcödé \uD83D\uDE00 and a lone \uD800"),
            wire.Reporter.ReportMessage("extra", context: new ReportContext { Extra = { ["n"] = 1.5, ["list"] = new object?[] { 1, "two", null } } }),
        };

        var received = await wire.Server.WaitForEventsAsync(ids.Count, WireHarness.Timeout);

        Assert.Equal(ids.Select(id => id.ToString()).Order(), received.Select(e => e.EventId).Order());
        Assert.Empty(wire.Server.Rejections);
        foreach (var envelope in wire.Server.Envelopes)
        {
            await Conformance.AssertValidAsync(envelope.RawBytes);
        }
    }
}
