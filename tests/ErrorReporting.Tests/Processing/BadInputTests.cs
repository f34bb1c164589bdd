using System.Collections;
using System.Text.Json;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Processing;

/// <summary>
/// Odd data must never throw out of a report call and must still produce an event Sentry accepts.
/// </summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task ReportHandled_NeverThrownException_SendsValueWithoutStacktrace()
    {
        await using var harness = ReporterHarness.Create();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(new InvalidOperationException("never thrown")));

        Assert.False(envelope.LastException.TryGetProperty("stacktrace", out _));
        Assert.True(envelope.LastException.GetProperty("mechanism").GetProperty("handled").GetBoolean());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportHandled_ThousandDeepInnerChain_SendsReportedExceptionLastAndBoundedValues()
    {
        await using var harness = ReporterHarness.Create();
        Exception exception = new InvalidOperationException("depth 0");
        for (var depth = 1; depth < 1000; depth++)
        {
            exception = new InvalidOperationException($"depth {depth}", exception);
        }

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        var values = envelope.EventJson.GetProperty("exception").GetProperty("values");
        Assert.Equal(32, values.GetArrayLength());
        Assert.Equal("depth 999", values[values.GetArrayLength() - 1].GetProperty("value").GetString());
        Assert.Equal("depth 968", values[0].GetProperty("value").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportHandled_AggregateWithThousandInner_SendsBoundedGroup()
    {
        await using var harness = ReporterHarness.Create();
        var aggregate = new AggregateException(Enumerable.Range(0, 1000).Select(i => new InvalidOperationException($"inner {i}")));

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(aggregate));

        var values = envelope.EventJson.GetProperty("exception").GetProperty("values");
        Assert.Equal(32, values.GetArrayLength());
        var root = values[values.GetArrayLength() - 1];
        Assert.Equal("System.AggregateException", root.GetProperty("type").GetString());
        Assert.True(root.GetProperty("mechanism").GetProperty("is_exception_group").GetBoolean());
        Assert.DoesNotContain("inner 5", root.GetProperty("value").GetString(), StringComparison.Ordinal);
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportHandled_GettersThrow_SendsEventWithPlaceholder()
    {
        await using var harness = ReporterHarness.Create();
        var exception = Exceptions.Thrown(new HostileException());

        var (id, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        Assert.Equal(id.ToString(), envelope.HeaderEventId);
        Assert.Equal(typeof(HostileException).FullName, envelope.LastException.GetProperty("type").GetString());
        Assert.Contains("Message getter threw", envelope.LastException.GetProperty("value").GetString(), StringComparison.Ordinal);
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportMessage_OneMegabyte_IsTruncatedTo8192Characters()
    {
        await using var harness = ReporterHarness.Create();
        var message = new string('x', 1024 * 1024);

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage(message));

        Assert.Equal(8192, envelope.EventJson.GetProperty("logentry").GetProperty("message").GetString()!.Length);
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportHandled_OneMegabyteExceptionMessage_IsTruncatedTo8192Characters()
    {
        await using var harness = ReporterHarness.Create();

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(new InvalidOperationException(new string('y', 1024 * 1024))));

        Assert.Equal(8192, envelope.LastException.GetProperty("value").GetString()!.Length);
    }

    [Fact]
    public async Task ReportMessage_TruncationPointInSurrogatePair_DoesNotSplitThePair()
    {
        await using var harness = ReporterHarness.Create();
        var message = new string('a', 8191) + "😀" + "tail";

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage(message));

        Assert.Equal(new string('a', 8191), envelope.EventJson.GetProperty("logentry").GetProperty("message").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task Report_LoneSurrogates_AreSentAsReplacementCharacters()
    {
        await using var harness = ReporterHarness.Create();
        var context = new ReportContext { Tags = { ["k"] = "v\uD800" }, Extra = { ["e"] = "\uDC00x" } };

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("lone \uD800 high, lone \uDC00 low", context: context));

        Assert.Equal("lone \uFFFD high, lone \uFFFD low", envelope.EventJson.GetProperty("logentry").GetProperty("message").GetString());
        Assert.Equal("v\uFFFD", envelope.EventJson.GetProperty("tags").GetProperty("k").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task Report_TagsBeyondLimits_AreMadeAcceptable()
    {
        await using var harness = ReporterHarness.Create();
        var longKey = new string('k', 40);
        var context = new ReportContext
        {
            Tags =
            {
                [longKey] = "long key",
                ["has space/slash"] = "bad characters",
                ["long-value"] = new string('v', 500),
                ["multi-line"] = "one\r\ntwo\nthree",
            },
        };

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("m", context: context));

        var tags = envelope.EventJson.GetProperty("tags");
        Assert.Equal("long key", tags.GetProperty(new string('k', 32)).GetString());
        Assert.Equal("bad characters", tags.GetProperty("has_space_slash").GetString());
        Assert.Equal(200, tags.GetProperty("long-value").GetString()!.Length);
        Assert.Equal("one two three", tags.GetProperty("multi-line").GetString());
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task Report_NullOrEmptyTagValues_AreNotSent()
    {
        await using var harness = ReporterHarness.Create(o => o.DefaultTags["empty-default"] = string.Empty);
        var context = new ReportContext { Tags = { ["null"] = null, ["empty"] = string.Empty, ["blank"] = "  ", ["kept"] = "yes" } };

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("m", context: context));

        var tags = envelope.EventJson.GetProperty("tags").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["kept"], tags);
    }

    [Fact]
    public async Task Report_ExoticExtraValues_AreSerializedWithoutThrowing()
    {
        await using var harness = ReporterHarness.Create();
        var cyclic = new List<object?>();
        cyclic.Add(cyclic);
        var context = new ReportContext
        {
            Extra =
            {
                ["nan"] = double.NaN,
                ["cyclic"] = cyclic,
                ["throws"] = new ThrowingToString(),
                ["map"] = new Hashtable { [1] = "one" },
                ["nested"] = new Dictionary<string, object?> { ["a"] = new[] { 1, 2 } },
                ["guid"] = Guid.Empty,
                ["null"] = null,
            },
        };

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportMessage("m", context: context));

        var extra = envelope.EventJson.GetProperty("extra");
        Assert.Equal("NaN", extra.GetProperty("nan").GetString());
        Assert.Equal("one", extra.GetProperty("map").GetProperty("1").GetString());
        Assert.Equal(2, extra.GetProperty("nested").GetProperty("a")[1].GetInt32());
        Assert.Contains("threw", extra.GetProperty("throws").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, extra.GetProperty("null").ValueKind);
        await Conformance.AssertValidAsync(envelope.Bytes);
    }

    [Fact]
    public async Task ReportHandled_ExceptionData_IsSentInMechanismData()
    {
        await using var harness = ReporterHarness.Create();
        var exception = new InvalidOperationException { Data = { ["order"] = 42, [7] = "non-string key" } };

        var (_, envelope) = await harness.ReportOneAsync(r => r.ReportHandled(exception));

        var data = envelope.LastException.GetProperty("mechanism").GetProperty("data");
        Assert.Equal("42", data.GetProperty("order").GetString());
        Assert.Equal("0x80131509", data.GetProperty("HResult").GetString());
        Assert.False(data.TryGetProperty("7", out _));
    }

    private sealed class HostileException : Exception
    {
        public override string Message => throw new InvalidOperationException("Message getter");

        public override string? StackTrace => throw new InvalidOperationException("StackTrace getter");

        public override IDictionary Data => throw new InvalidOperationException("Data getter");

        public override string? HelpLink { get => throw new InvalidOperationException("HelpLink getter"); set { } }
    }

    private sealed class ThrowingToString
    {
        public override string ToString() => throw new InvalidOperationException("ToString");
    }
}
