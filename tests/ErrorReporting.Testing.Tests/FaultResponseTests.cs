using System.Net;

namespace ErrorReporting.Testing.Tests;

/// <summary>Each scripted fault, observed from a real HttpClient.</summary>
public sealed class FaultResponseTests
{
    private const string MessageEventId = "0d6a2c9e3b7f4e1a8c5d2b9f6e3a1c7d";
    private static readonly byte[] s_message = TestHttp.TestData("message.envelope");

    [Fact]
    public async Task Status_500_AnswersWithDetailAndDoesNotRecord()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(500));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("500", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(server.Events);
        Assert.Empty(server.Rejections);
        var logged = Assert.Single(server.Requests);
        Assert.Equal(RequestOutcome.Answered, logged.Outcome);
        Assert.Equal(500, logged.StatusCode);
        Assert.False(logged.Recorded);
        Assert.Equal(MessageEventId, logged.EventId);
        Assert.Equal(1, logged.Sequence);
    }

    [Fact]
    public async Task Status_413WithBody_SendsTheBody()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(413, "{\"detail\":\"envelope exceeded size limits\"}"));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("envelope exceeded size limits", await TestHttp.ReadDetailAsync(response));
        Assert.Empty(server.Events);
    }

    [Fact]
    public async Task Status_TextBody_SentAsText()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(502, "Bad Gateway"));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bad Gateway", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Status_200ForValidEnvelope_RecordsIt()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(200));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MessageEventId, Assert.Single(server.Events).EventId);
        Assert.True(Assert.Single(server.Requests).Recorded);
    }

    [Fact]
    public async Task RateLimited_BothHeaders_Answers429WithHeadersAndDoesNotRecord()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.RateLimited("60:error:key, 2700:default;security:organization", "60"));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("60:error:key, 2700:default;security:organization", string.Join(", ", response.Headers.GetValues("X-Sentry-Rate-Limits")));
        Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.RetryAfter?.Delta);
        Assert.Empty(server.Events);
        Assert.Equal(429, Assert.Single(server.Requests).StatusCode);
    }

    [Fact]
    public async Task RateLimited_NoHeaders_Answers429Only()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.RateLimited());

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Sentry-Rate-Limits"));
        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task CloseConnection_ClientGetsHttpRequestException()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.CloseConnection());

        await Assert.ThrowsAsync<HttpRequestException>(() => TestHttp.PostAsync(server, s_message));

        var logged = Assert.Single(server.Requests);
        Assert.Equal(RequestOutcome.Aborted, logged.Outcome);
        Assert.Null(logged.StatusCode);
        Assert.Equal(MessageEventId, logged.EventId);
        Assert.Empty(server.Events);
    }

    [Fact]
    public async Task Hang_ClientTimesOut()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Hang());
        using var client = TestHttp.CreateClient(TimeSpan.FromMilliseconds(500));
        using var request = TestHttp.EnvelopeRequest(server, s_message);

        var exception = await Assert.ThrowsAsync<TaskCanceledException>(() => client.SendAsync(request));

        Assert.IsType<TimeoutException>(exception.InnerException);
        var logged = Assert.Single(server.Requests);
        Assert.Equal(RequestOutcome.Hung, logged.Outcome);
        Assert.Empty(server.Events);
    }

    [Fact]
    public async Task Hang_ServerDisposed_ShutdownIsNotBlockedAndClientFails()
    {
        var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Hang());
        using var client = TestHttp.CreateClient(Timeout.InfiniteTimeSpan);
        using var request = TestHttp.EnvelopeRequest(server, s_message);
        var sending = client.SendAsync(request);
        await server.WaitForRequestsAsync(1, TestHttp.WaitTimeout);

        await server.DisposeAsync().AsTask().WaitAsync(TestHttp.WaitTimeout);

        await Assert.ThrowsAsync<HttpRequestException>(() => sending.WaitAsync(TestHttp.WaitTimeout));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(503)]
    public async Task WithDelay_ServerStopsDuringTheDelay_NeitherAnsweredNorRecorded(int status)
    {
        await using var server = await SentryTestServer.StartAsync();
        var fault = (status == 200 ? FaultResponse.Ok() : FaultResponse.Status(status)).WithDelay(TimeSpan.FromSeconds(30));
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Faults.Handler = _ =>
        {
            received.TrySetResult();
            return fault;
        };
        using var client = TestHttp.CreateClient(Timeout.InfiniteTimeSpan);
        using var request = TestHttp.EnvelopeRequest(server, s_message);
        var sending = client.SendAsync(request);
        await received.Task.WaitAsync(TestHttp.WaitTimeout);

        // Stopping ends the delay: without one, the answer would be out and (for 200) the event recorded by now.
        await server.DisposeAsync().AsTask().WaitAsync(TestHttp.WaitTimeout);

        await Assert.ThrowsAsync<HttpRequestException>(() => sending.WaitAsync(TestHttp.WaitTimeout));
        Assert.Empty(server.Events);
        var logged = Assert.Single(server.Requests);
        Assert.Equal(RequestOutcome.Aborted, logged.Outcome);
        Assert.Equal($"the server stopped during the delay of {fault}", logged.Detail);
    }

    [Fact]
    public async Task WithDelay_Ok_AnsweredAndRecordedWhenTheDelayEnds()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Ok().WithDelay(TimeSpan.FromMilliseconds(100)));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MessageEventId, Assert.Single(server.Events).EventId);
        var logged = Assert.Single(server.Requests);
        Assert.True(logged.Recorded);
        Assert.Equal(TimeSpan.FromMilliseconds(100), logged.Fault?.Delay);
    }

    [Fact]
    public async Task WithDelay_Status_AnsweredWithTheStatusWhenTheDelayEnds()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(503).WithDelay(TimeSpan.FromMilliseconds(100)));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(server.Events);
        var logged = Assert.Single(server.Requests);
        Assert.Equal((RequestOutcome.Answered, 503), (logged.Outcome, logged.StatusCode));
        Assert.Equal(TimeSpan.FromMilliseconds(100), logged.Fault?.Delay);
    }

    [Fact]
    public async Task WithHeader_OnOk_RecordsAndSendsTheHeader()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Ok().WithHeader("X-Sentry-Rate-Limits", "60:error:key"));

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("60:error:key", Assert.Single(response.Headers.GetValues("X-Sentry-Rate-Limits")));
        Assert.Single(server.Events);
        Assert.True(Assert.Single(server.Requests).Recorded);
    }

    [Fact]
    public async Task WithHeader_OnOkForInvalidEnvelope_ReceiverStillRefuses()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Ok().WithHeader("X-Test", "1"));

        using var response = await TestHttp.PostAsync(server, "not an envelope");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("X-Test")));
        Assert.Single(server.Rejections);
    }

    [Fact]
    public async Task Enqueue_SeveralFaults_ConsumedOnePerRequestThenNormal()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(503), FaultResponse.RateLimited(retryAfter: "1"));
        using var client = TestHttp.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var request = TestHttp.EnvelopeRequest(server, s_message);
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests, HttpStatusCode.OK], statuses);
        Assert.Equal(0, server.Faults.PendingCount);
        Assert.Equal([1, 2, 3], server.Requests.Select(r => r.Sequence));
        Assert.Equal([503, 429, 200], server.Requests.Select(r => r.StatusCode ?? 0));
        Assert.Single(server.Events);
    }

    [Fact]
    public async Task Handler_ConsultedWhenQueueEmpty_ScriptsByRequest()
    {
        await using var server = await SentryTestServer.StartAsync();
        var seen = new List<ReceivedRequestInfo>();
        server.Faults.Enqueue(FaultResponse.Status(500));
        server.Faults.Handler = request =>
        {
            lock (seen)
            {
                seen.Add(request);
            }

            return request.Sequence <= 3 ? FaultResponse.Status(503) : null;
        };
        using var client = TestHttp.CreateClient();

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var request = TestHttp.EnvelopeRequest(server, s_message);
            using var response = await client.SendAsync(request);
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([500, 503, 503, 200], statuses);
        Assert.Equal([2, 3, 4], seen.Select(r => r.Sequence));
        Assert.All(seen, request => Assert.Equal(RequestOutcome.Pending, request.Outcome));
        Assert.All(seen, request => Assert.Equal(MessageEventId, request.EventId));
        var sinceStart = server.Requests.OrderBy(r => r.Sequence).Select(r => r.SinceStart).ToArray();
        Assert.All(sinceStart.Zip(sinceStart.Skip(1)), pair => Assert.True(pair.First < pair.Second, $"one request after another: {pair.First} then {pair.Second}"));
    }

    [Fact]
    public async Task Handler_Throws_Answers500WithDetail()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Handler = _ => throw new InvalidOperationException("script bug");

        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("script bug", await TestHttp.ReadDetailAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clear_RemovesQueueAndHandler()
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue(FaultResponse.Status(500));
        server.Faults.Handler = _ => FaultResponse.Status(500);

        server.Faults.Clear();
        using var response = await TestHttp.PostAsync(server, s_message);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(server.Faults.Handler);
    }

    [Fact]
    public void Enqueue_NullArguments_Throw()
    {
        var faults = new FaultScript();

        Assert.Throws<ArgumentNullException>("faults", () => faults.Enqueue(null!));
        Assert.Throws<ArgumentNullException>("faults", () => faults.Enqueue(FaultResponse.Ok(), null!));
        Assert.Equal(0, faults.PendingCount);
    }

    [Fact]
    public void Factories_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>("statusCode", () => FaultResponse.Status(99));
        Assert.Throws<ArgumentOutOfRangeException>("statusCode", () => FaultResponse.Status(600));
        Assert.Throws<ArgumentOutOfRangeException>("delay", () => FaultResponse.Ok().WithDelay(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentNullException>("name", () => FaultResponse.Ok().WithHeader(null!, "v"));
        Assert.Throws<ArgumentException>("name", () => FaultResponse.Ok().WithHeader("", "v"));
        Assert.Throws<ArgumentNullException>("value", () => FaultResponse.Ok().WithHeader("n", null!));
    }

    [Fact]
    public void WithHeaderAndWithDelay_ReturnNewInstances()
    {
        var original = FaultResponse.Status(500);

        var changed = original.WithHeader("a", "1").WithDelay(TimeSpan.FromSeconds(2)).WithHeader("b", "2");

        Assert.Empty(original.Headers);
        Assert.Equal(TimeSpan.Zero, original.Delay);
        Assert.Equal(["a", "b"], changed.Headers.Select(h => h.Key));
        Assert.Equal(TimeSpan.FromSeconds(2), changed.Delay);
        Assert.Equal("500 after 2000 ms with a: 1, b: 2", changed.ToString());
    }
}
