using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace ErrorReporting.Testing.Tests;

/// <summary>
/// The receiver keeps the bytes of what it accepted and builds the typed views (events, headers, JSON) on first use:
/// they must equal what eager parsing gave, be the same instances for every reader, and never depend on buffers the
/// receiver reuses for later requests.
/// </summary>
public sealed class LazyViewTests
{
    public static TheoryData<string> EventEnvelopes => new() { "handled-exception.envelope", "unhandled-exception.envelope", "message.envelope" };

    [Theory]
    [MemberData(nameof(EventEnvelopes))]
    public async Task TypedProperties_ReferenceEnvelopes_EqualTheEagerView(string name)
    {
        await using var server = await SentryTestServer.StartAsync();

        using var response = await TestHttp.PostAsync(server, TestHttp.TestData(name), "gzip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        EagerEventView.AssertSame(Assert.Single(server.Events));
    }

    [Fact]
    public async Task TypedProperties_EventFromTheLibrary_EqualTheEagerView()
    {
        await using var server = await SentryTestServer.StartAsync();
        var services = new ServiceCollection();
        services.AddErrorReporting(options => options.Dsn = server.Dsn);
        await using var provider = services.BuildServiceProvider();
        var reporter = provider.GetRequiredService<IErrorReporter>();

        var id = reporter.ReportHandled(ThrowWithInner());
        var received = await server.WaitForEventAsync(id, TestHttp.WaitTimeout);

        EagerEventView.AssertSame(received);
        Assert.Equal(2, received.Exceptions.Count);
        Assert.Equal("System.FormatException", received.Exceptions[0].Type);
        Assert.Equal("System.InvalidOperationException", received.Exceptions[1].Type);
        Assert.True(received.Handled);
        Assert.NotEmpty(received.Exceptions[1].Frames);
        Assert.Equal("gzip", received.Envelope.ContentEncoding);
        Assert.StartsWith("Sentry sentry_version=7", received.Envelope.SentryAuth, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstAccess_ConcurrentReaders_AllGetTheSameInstances()
    {
        await using var server = await SentryTestServer.StartAsync();
        for (var i = 0; i < 20; i++)
        {
            using var eventResponse = await TestHttp.PostAsync(server, TestHttp.TestData("handled-exception.envelope"), "gzip");
            using var reportResponse = await TestHttp.PostAsync(server, TestHttp.TestData("client-report.envelope"));
        }

        var events = server.Events;
        var reports = server.ClientReports;
        Assert.Equal(20, events.Count);
        Assert.Equal(20, reports.Count);
        for (var i = 0; i < events.Count; i++)
        {
            // Every reader starts at once on a view nobody has read yet.
            var received = events[i];
            var report = reports[i];
            var seen = RunConcurrently(8, () => new object[]
            {
                received.Exceptions, received.Tags, received.Fingerprint, received.User!, received.Request!, received.RawJson, received.Message ?? "",
                received.Level!, received.Envelope.Headers, received.Envelope.HeaderJson, received.Envelope.SentAt!, received.Envelope.Items[0].HeaderJson,
                received.Envelope.Items[0].PayloadText, report.DiscardedEvents, report.RawJson, report.Timestamp!,
                received.Json.GetRawText(), received.Envelope.Header.GetRawText(), received.Envelope.Items[0].Header.GetRawText(),
            });

            foreach (var views in seen)
            {
                for (var k = 0; k < views.Length; k++)
                {
                    if (views[k] is string text && k >= 16)
                    {
                        Assert.Equal((string)seen[0][k], text);
                    }
                    else
                    {
                        Assert.Same(seen[0][k], views[k]);
                    }
                }
            }

            Assert.Equal(2, received.Exceptions.Count);
            Assert.Equal([new ReceivedDiscardedEvent("queue_overflow", "error", 2), new ReceivedDiscardedEvent("ratelimit_backoff", "error", 1)], report.DiscardedEvents);
        }
    }

    [Fact]
    public async Task ReceivedData_AfterManyMoreRequests_StaysAsReceived()
    {
        await using var server = await SentryTestServer.StartAsync();
        var first = TestHttp.TestData("handled-exception.envelope");
        using (var response = await TestHttp.PostAsync(server, first, "gzip"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Later requests reuse the receiver's pooled buffers: what was accepted must not share them.
        var random = new Random(3);
        for (var i = 0; i < 40; i++)
        {
            var filler = TestHttp.Utf8(TestHttp.EventEnvelope(TestHttp.NewEventId(), "{\"message\":\"" + new string('z', random.Next(10, 6000)) + "\"}"));
            using var response = await TestHttp.PostAsync(server, filler, i % 2 == 0 ? "gzip" : null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var received = server.Events[0];
        Assert.Equal(first, received.Envelope.RawBytes.ToArray());
        Assert.Equal("9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d", received.EventId);
        Assert.Equal("System.InvalidOperationException", received.Exceptions[^1].Type);
        EagerEventView.AssertSame(received);
    }

    [Fact]
    public async Task EnvelopeHeaders_RequestHeaders_CapturedAsTheyWere()
    {
        var receiver = new SentryEnvelopeReceiver("abc", "5");
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/api/5/envelope/";
        context.Request.Headers["X-Sentry-Auth"] = TestHttp.Auth("abc");
        context.Request.Headers["X-Repeated"] = new StringValues(["one", "two"]);
        context.Request.Headers.ContentType = "application/x-sentry-envelope";
        context.Request.Headers.UserAgent = "agent/1";
        context.Request.Body = new MemoryStream(TestHttp.TestData("message.envelope"));
        context.Response.Body = new MemoryStream();

        await receiver.HandleAsync(context);

        // The request's header collection is reused after the response: the envelope keeps its own copy.
        context.Request.Headers.Clear();
        var envelope = Assert.Single(receiver.Envelopes);
        Assert.Equal("one, two", envelope.Headers["x-repeated"]);
        Assert.Equal(TestHttp.Auth("abc"), envelope.SentryAuth);
        Assert.Equal("application/x-sentry-envelope", envelope.ContentType);
        Assert.Equal("agent/1", envelope.UserAgent);
        Assert.Null(envelope.ContentEncoding);
        Assert.Equal(4, envelope.Headers.Count);
        Assert.Same(envelope.Headers, envelope.Headers);
    }

    private static T[] RunConcurrently<T>(int threads, Func<T> read)
    {
        using var start = new Barrier(threads);
        var results = new T[threads];
        var workers = Enumerable.Range(0, threads).Select(index => new Thread(() =>
        {
            start.SignalAndWait();
            results[index] = read();
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        return results;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Exception ThrowWithInner()
    {
        try
        {
            try
            {
                _ = int.Parse("abc", System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (FormatException inner)
            {
                throw new InvalidOperationException("Could not read the configuration", inner);
            }
        }
        catch (InvalidOperationException exception)
        {
            return exception;
        }

        throw new InvalidOperationException("unreachable");
    }
}
