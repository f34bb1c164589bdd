using System.Collections;
using ErrorReporting.Testing;
using ErrorReporting.Tests.Infrastructure;

namespace ErrorReporting.Tests.Wire;

/// <summary>
/// Odd data and a failing backend never make a report call throw or block, and the event still arrives, valid:
/// throwing getters, 1,000-deep inner chains, 1,000-wide aggregates, 1 MB messages, lone surrogates, network and HTTP
/// errors. Each event is judged by Sentry's envelope parser and Relay's schema.
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class BadInputTests
{
    [Fact]
    public async Task ReportHandled_NeverThrownException_ArrivesWithoutStacktrace()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportHandled(new InvalidOperationException("never thrown")));

        Assert.Empty(received.Exceptions[^1].Frames);
        Assert.True(received.Handled);
    }

    [Fact]
    public async Task ReportHandled_GettersThrow_ArrivesValid()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportHandled(Exceptions.Thrown(new HostileException())));

        Assert.Contains(received.Exceptions, e => e.Type == typeof(HostileException).FullName);
    }

    [Fact]
    public async Task ReportHandled_ThousandDeepInnerChain_ArrivesWithTheReportedExceptionLast()
    {
        Exception exception = new InvalidOperationException("depth 0");
        for (var depth = 1; depth < 1000; depth++)
        {
            exception = new InvalidOperationException($"depth {depth}", exception);
        }

        var (received, _) = await ReportOneAsync(r => r.ReportHandled(exception));

        Assert.Equal("depth 999", received.Exceptions[^1].Value);
        Assert.True(received.Handled);
    }

    [Fact]
    public async Task ReportHandled_AggregateWithThousandInner_ArrivesAsAnExceptionGroup()
    {
        var aggregate = new AggregateException(Enumerable.Range(0, 1000).Select(i => new InvalidOperationException($"inner {i}")));

        var (received, _) = await ReportOneAsync(r => r.ReportHandled(aggregate));

        var root = received.Exceptions[^1];
        Assert.Equal("System.AggregateException", root.Type);
        Assert.True(root.Mechanism?.IsExceptionGroup);
    }

    [Fact]
    public async Task ReportMessage_OneMegabyte_ArrivesCutToSentrysLimit()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportMessage(new string('x', 1024 * 1024)));

        Assert.Equal(8192, received.Message!.Length);
    }

    [Fact]
    public async Task ReportHandled_OneMegabyteExceptionMessage_ArrivesCutToSentrysLimit()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportHandled(Exceptions.Thrown(new InvalidOperationException(new string('y', 1024 * 1024)))));

        Assert.Equal(8192, received.Exceptions[^1].Value!.Length);
    }

    [Fact]
    public async Task ReportMessage_CutInsideASurrogatePair_KeepsThePairWhole()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportMessage(new string('a', 8191) + "😀" + "tail"));

        Assert.Equal(new string('a', 8191), received.Message);
    }

    [Fact]
    public async Task Report_LoneSurrogates_ArriveAsReplacementCharacters()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportMessage("lone \uD800 high, lone \uDC00 low", SentryLevel.Info, scope => scope.SetTag("k", "v\uD800")));

        Assert.Equal("lone \uFFFD high, lone \uFFFD low", received.Message);
        Assert.Equal("v\uFFFD", received.Tags["k"]);
    }

    [Fact]
    public async Task ReportHandled_LoneSurrogateInExceptionMessage_ArrivesValid()
    {
        var (received, _) = await ReportOneAsync(r => r.ReportHandled(Exceptions.Thrown(new InvalidOperationException("bad \uDC00 text"))));

        Assert.Equal("bad \uFFFD text", received.Exceptions[^1].Value);
    }

    [Fact]
    public async Task Report_ExoticExtraValues_ArriveWithoutThrowing()
    {
        var cyclic = new List<object?>();
        cyclic.Add(cyclic);

        var (received, _) = await ReportOneAsync(r => r.ReportMessage("extras", SentryLevel.Info, scope =>
        {
            scope.SetExtra("nan", double.NaN);
            scope.SetExtra("cyclic", cyclic);
            scope.SetExtra("throws", new ThrowingToString());
            scope.SetExtra("map", new Hashtable { [1] = "one" });
            scope.SetExtra("guid", Guid.Empty);
            scope.SetExtra("null", null);
        }));

        Assert.Equal("extras", received.Message);
    }

    [Fact]
    public async Task Report_ConnectionRefused_NeitherThrowsNorWaitsAndTheEventsWait()
    {
        var port = LoopbackPort.Free();
        await using var harness = SdkHarness.WithoutServer($"http://{new string('b', 32)}@127.0.0.1:{port}/1", o => o.ShutdownTimeout = TimeSpan.Zero);

        var ids = Enumerable.Range(0, 100).Select(i => harness.Reporter.ReportHandled(new InvalidOperationException($"while refused {i}"))).ToList();

        Assert.DoesNotContain(SentryId.Empty, ids);
        Assert.False(await harness.Reporter.FlushAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Report_ServerHangs_EveryCallReturnsWhileTheServerStillHolds()
    {
        await using var harness = await SdkHarness.StartAsync(o => o.ShutdownTimeout = TimeSpan.Zero);
        harness.Server.Faults.Handler = _ => FaultResponse.Hang();
        harness.Reporter.ReportMessage("the first send hangs");
        await harness.Server.WaitForRequestsAsync(1, SdkHarness.Timeout);

        // Had a call waited for the network, it would not return: the server never answers.
        var ids = Enumerable.Range(0, 100).Select(i => harness.Reporter.ReportMessage($"reported while the server hangs {i}")).ToList();

        Assert.DoesNotContain(SentryId.Empty, ids);
        Assert.Empty(harness.Server.Events);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(400)]
    public async Task Report_HttpErrors_NeverThrow(int status)
    {
        await using var harness = await SdkHarness.StartAsync();
        harness.Server.Faults.Handler = _ => FaultResponse.Status(status);

        var id = harness.Reporter.ReportMessage("answered with an error");

        Assert.NotEqual(SentryId.Empty, id);
        await harness.Server.WaitForRequestsAsync(1, SdkHarness.Timeout);
        harness.Server.Faults.Handler = null;
    }

    private static async Task<(ReceivedEvent Received, SentryId Id)> ReportOneAsync(Func<IErrorReporter, SentryId> report)
    {
        await using var harness = await SdkHarness.StartAsync();

        var id = report(harness.Reporter);
        await harness.FlushAsync();

        Assert.NotEqual(SentryId.Empty, id);
        var received = await harness.Server.WaitForEventAsync(id, SdkHarness.Timeout);
        Assert.Empty(harness.Server.Rejections);
        await Conformance.AssertValidAsync(received.Envelope.RawBytes);
        return (received, id);
    }

    private sealed class HostileException : Exception
    {
        public override string Message => throw new InvalidOperationException("Message getter");

        public override string? StackTrace => throw new InvalidOperationException("StackTrace getter");

        public override IDictionary Data => throw new InvalidOperationException("Data getter");

        public override string? HelpLink { get => throw new InvalidOperationException("HelpLink getter"); set { } }

        public override string? Source { get => throw new InvalidOperationException("Source getter"); set { } }
    }

    private sealed class ThrowingToString
    {
        public override string ToString() => throw new InvalidOperationException("ToString");
    }
}
