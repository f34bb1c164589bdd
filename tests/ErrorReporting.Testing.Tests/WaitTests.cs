namespace ErrorReporting.Testing.Tests;

public sealed class WaitTests
{
    private static readonly byte[] s_handled = TestHttp.TestData("handled-exception.envelope");
    private static readonly byte[] s_message = TestHttp.TestData("message.envelope");
    private static readonly byte[] s_clientReport = TestHttp.TestData("client-report.envelope");

    [Fact]
    public async Task WaitForEventsAsync_TooFewEvents_TimesOutWithMessageListingWhatArrived()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var accepted = await TestHttp.PostAsync(server, s_handled);
        using var client = TestHttp.CreateClient();
        using var wrongKey = TestHttp.EnvelopeRequest(server.EnvelopeUri, s_message, TestHttp.Auth("wrong"));
        using var refused = await client.SendAsync(wrongKey);
        server.Faults.Enqueue(FaultResponse.Status(503));
        using var faulted = await TestHttp.PostAsync(server, s_message);

        var exception = await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForEventsAsync(2, TimeSpan.FromMilliseconds(100)));

        Assert.Contains("waiting for 2 event(s)", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Received 1 event(s)", exception.Message, StringComparison.Ordinal);
        Assert.Contains("9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d error System.InvalidOperationException: Could not read configuration", exception.Message, StringComparison.Ordinal);
        Assert.Contains("→ 401: unknown public key", exception.Message, StringComparison.Ordinal);
        Assert.Contains("→ 503 (fault: 503)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForEventsAsync_EventsArriveAfterTheCall_Completes()
    {
        await using var server = await SentryTestServer.StartAsync();

        var waiting = server.WaitForEventsAsync(2, TestHttp.WaitTimeout);
        Assert.False(waiting.IsCompleted);
        using var first = await TestHttp.PostAsync(server, s_handled);
        using var second = await TestHttp.PostAsync(server, s_message);
        var events = await waiting;

        Assert.Equal(["9c1f0c6f5c0b4a6f8b6f3e0d2a1b4c5d", "0d6a2c9e3b7f4e1a8c5d2b9f6e3a1c7d"], events.Select(e => e.EventId));
    }

    [Fact]
    public async Task WaitForEventsAsync_Zero_CompletesAtOnce()
    {
        await using var server = await SentryTestServer.StartAsync();

        var events = await server.WaitForEventsAsync(0, TimeSpan.Zero);

        Assert.Empty(events);
    }

    [Fact]
    public async Task WaitForEventsAsync_Condition_CompletesWhenSatisfied()
    {
        await using var server = await SentryTestServer.StartAsync();

        var waiting = server.WaitForEventsAsync(events => events.Any(e => e.Level == "info"), TestHttp.WaitTimeout);
        using var first = await TestHttp.PostAsync(server, s_handled);
        Assert.False(waiting.IsCompleted);
        using var second = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(2, (await waiting).Count);
    }

    [Fact]
    public async Task WaitForEventAsync_EventArrives_RequestIsAlreadyLogged()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var client = TestHttp.CreateClient();
        using var request = TestHttp.EnvelopeRequest(server, s_message);
        var requestsWhenTheEventWasSeen = -1;

        var waiting = server.WaitForEventsAsync(events => events.Count > 0 && (requestsWhenTheEventWasSeen = server.Requests.Count) >= 0, TestHttp.WaitTimeout);
        using var response = await client.SendAsync(request);
        await waiting;

        Assert.Equal(1, requestsWhenTheEventWasSeen);
    }

    [Fact]
    public async Task WaitForEventAsync_SentryId_ReturnsThatEvent()
    {
        await using var server = await SentryTestServer.StartAsync();
        var id = SentryId.Parse("0d6a2c9e3b7f4e1a8c5d2b9f6e3a1c7d");

        var waiting = server.WaitForEventAsync(id, TestHttp.WaitTimeout);
        using var first = await TestHttp.PostAsync(server, s_handled);
        using var second = await TestHttp.PostAsync(server, s_message);
        var received = await waiting;

        Assert.Equal("Cache warmed in 42 ms", received.Message);
    }

    [Fact]
    public async Task WaitForEventAsync_HyphenatedUppercaseString_Matches()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var response = await TestHttp.PostAsync(server, s_message, "gzip");

        var received = await server.WaitForEventAsync("0D6A2C9E-3B7F-4E1A-8C5D-2B9F6E3A1C7D", TestHttp.WaitTimeout);

        Assert.Equal("0d6a2c9e3b7f4e1a8c5d2b9f6e3a1c7d", received.EventId);
    }

    [Fact]
    public async Task WaitForEventAsync_NotArriving_TimesOutNamingTheId()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var response = await TestHttp.PostAsync(server, s_message);

        var exception = await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForEventAsync("11111111111111111111111111111111", TimeSpan.FromMilliseconds(50)));

        Assert.Contains("event 11111111111111111111111111111111", exception.Message, StringComparison.Ordinal);
        Assert.Contains("0d6a2c9e3b7f4e1a8c5d2b9f6e3a1c7d info Cache warmed in 42 ms", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForEventAsync_EmptyId_ThrowsArgumentException()
    {
        await using var server = await SentryTestServer.StartAsync();

        await Assert.ThrowsAsync<ArgumentException>("eventId", () => server.WaitForEventAsync(SentryId.Empty, TestHttp.WaitTimeout));
    }

    [Fact]
    public async Task WaitForClientReportsAsync_Condition_CompletesWhenSatisfied()
    {
        await using var server = await SentryTestServer.StartAsync();

        var waiting = server.WaitForClientReportsAsync(reports => reports.Sum(r => r.Quantity("queue_overflow")) >= 4, TestHttp.WaitTimeout);
        using var first = await TestHttp.PostAsync(server, s_clientReport);
        Assert.False(waiting.IsCompleted);
        using var second = await TestHttp.PostAsync(server, s_clientReport, "gzip");
        var reports = await waiting;

        Assert.Equal(2, reports.Count);
    }

    [Fact]
    public async Task WaitForClientReportsAsync_ConditionThrows_WaitFaults()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var response = await TestHttp.PostAsync(server, s_clientReport);

        await Assert.ThrowsAsync<InvalidOperationException>(() => server.WaitForClientReportsAsync(_ => throw new InvalidOperationException("bad condition"), TestHttp.WaitTimeout));
    }

    [Fact]
    public async Task WaitForRequestsAsync_FaultedRequests_Counted()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(500), FaultResponse.Status(500));

        var waiting = server.WaitForRequestsAsync(3, TestHttp.WaitTimeout);
        for (var i = 0; i < 3; i++)
        {
            using var response = await TestHttp.PostAsync(server, s_message);
        }

        var requests = await waiting;
        Assert.Equal([500, 500, 200], requests.Select(r => r.StatusCode ?? 0));
    }

    [Fact]
    public async Task Waits_InvalidArguments_Throw()
    {
        await using var server = await SentryTestServer.StartAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("count", () => server.WaitForEventsAsync(-1, TestHttp.WaitTimeout));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("timeout", () => server.WaitForEventsAsync(1, TimeSpan.FromSeconds(-2)));
        await Assert.ThrowsAsync<ArgumentNullException>("eventId", () => server.WaitForEventAsync((string)null!, TestHttp.WaitTimeout));
        await Assert.ThrowsAsync<ArgumentNullException>("condition", () => server.WaitForClientReportsAsync(null!, TestHttp.WaitTimeout));
        await Assert.ThrowsAsync<ArgumentNullException>("condition", () => server.WaitForEventsAsync((Func<IReadOnlyList<ReceivedEvent>, bool>)null!, TestHttp.WaitTimeout));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>("count", () => server.WaitForRequestsAsync(-1, TestHttp.WaitTimeout));
    }

    [Fact]
    public async Task WaitForEventsAsync_Canceled_ThrowsOperationCanceled()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var cancellation = new CancellationTokenSource();

        var waiting = server.WaitForEventsAsync(1, Timeout.InfiniteTimeSpan, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task Clear_AfterTraffic_EmptiesEverything()
    {
        await using var server = await SentryTestServer.StartAsync();
        using var first = await TestHttp.PostAsync(server, s_handled);
        using var second = await TestHttp.PostAsync(server, s_clientReport);
        using var third = await TestHttp.PostAsync(server, "junk");

        server.Clear();

        Assert.Empty(server.Events);
        Assert.Empty(server.Envelopes);
        Assert.Empty(server.ClientReports);
        Assert.Empty(server.Rejections);
        Assert.Empty(server.Requests);
    }
}
