using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace TutorialApp.Tests;

/// <summary>
/// The app's embedded Sentry-compatible endpoint and its pages over plain HTTP: the endpoint's own errors answer as
/// Sentry does and do not take the app down; the search finds pasted ids; what events carry is shown encoded.
/// </summary>
public sealed class TutorialEndpointTests(TutorialAppFixture fixture, ITestOutputHelper output) : IClassFixture<TutorialAppFixture>, IDisposable
{
    private readonly HttpClient _client = TutorialHttp.Client(fixture.App);

    [Fact]
    public async Task EnvelopeEndpoint_MalformedEnvelope_Answers400WithReasonAndKeepsServing()
    {
        // The item header declares more bytes than follow it: Relay (and the receiver) refuse such an envelope.
        var envelope = $"{{\"event_id\":\"{TutorialHttp.NewEventId()}\"}}\n{{\"type\":\"event\",\"length\":500}}\n{{\"message\":\"cut short\"}}\n";

        var (status, body) = await TutorialHttp.PostEnvelopeAsync(_client, fixture.PublicKey, envelope);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var reason = Detail(body);
        Assert.Contains("envelope", reason, StringComparison.OrdinalIgnoreCase);
        await AssertStillServingAsync(refusal: (400, reason));
    }

    [Fact]
    public async Task EnvelopeEndpoint_NotAnEnvelope_Answers400WithReasonAndKeepsServing()
    {
        var (status, body) = await TutorialHttp.PostEnvelopeAsync(_client, fixture.PublicKey, "this is not an envelope\n");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        await AssertStillServingAsync(refusal: (400, Detail(body)));
    }

    [Fact]
    public async Task EnvelopeEndpoint_WrongKey_Answers401WithReasonAndKeepsServing()
    {
        var wrongKey = Guid.NewGuid().ToString("N");
        var eventId = TutorialHttp.NewEventId();
        var envelope = TutorialHttp.EventEnvelope(eventId, """{"message":"from a sender with a stale DSN","level":"error"}""");

        var (status, body) = await TutorialHttp.PostEnvelopeAsync(_client, wrongKey, envelope);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        var reason = Detail(body);
        Assert.Contains("key", reason, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(fixture.PublicKey, reason, StringComparison.Ordinal);
        await AssertStillServingAsync(refusal: (401, reason));
        var notStored = await TutorialHttp.GetPageAsync(_client, $"/issues?id={eventId}", HttpStatusCode.NotFound);
        Assert.Contains("No event with this id", notStored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchBox_PastedIdInAnyGuidForm_RedirectsToTheEventPage()
    {
        var eventId = await TutorialHttp.PressAsync(_client, "/handled", HttpStatusCode.OK);
        await TutorialHttp.EventPageAsync(_client, eventId);
        var guid = Guid.ParseExact(eventId, "N");
        using var noRedirects = TutorialHttp.Client(fixture.App, followRedirects: false);

        foreach (var pasted in new[] { eventId, $"  {eventId}\t", guid.ToString("D").ToUpperInvariant(), $" {guid:B} ", $"\"{guid:D}\"" })
        {
            using var response = await noRedirects.GetAsync(new Uri($"/issues?id={Uri.EscapeDataString(pasted)}", UriKind.Relative));

            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"'{pasted}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal($"/issues/{eventId}", response.Headers.Location?.OriginalString);
        }

        var page = await TutorialHttp.GetPageAsync(_client, $"/issues?id={Uri.EscapeDataString(guid.ToString("D").ToUpperInvariant())}");
        Assert.Contains($"<td id=\"event-id\">{eventId}</td>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchBox_UnknownOrInvalidId_SaysSoOnTheIssueStream()
    {
        var unknown = TutorialHttp.NewEventId();

        var notFound = await TutorialHttp.GetPageAsync(_client, $"/issues?id={unknown.ToUpperInvariant()}", HttpStatusCode.NotFound);
        var invalid = await TutorialHttp.GetPageAsync(_client, "/issues?id=order-42", HttpStatusCode.BadRequest);

        Assert.Contains($"No event with this id: <code>{unknown}</code>", notFound, StringComparison.Ordinal);
        Assert.Contains("id=\"search\"", notFound, StringComparison.Ordinal);
        Assert.Contains("Not an event id: <code>order-42</code>", invalid, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssuePages_EventWithMarkup_ShowItEncoded()
    {
        var eventId = TutorialHttp.NewEventId();
        var envelope = TutorialHttp.EventEnvelope(
            eventId,
            """{"message":"<script>alert('message')</script>","level":"warning","environment":"<b>env</b>","tags":{"<i>tag</i>":"<img src=x onerror=alert(1)>"},"sdk":{"name":"<u>sdk</u>","version":"1.0"}}""");

        var (status, body) = await TutorialHttp.PostEnvelopeAsync(_client, fixture.PublicKey, envelope);
        Assert.True(status == HttpStatusCode.OK, body);
        var list = await TutorialHttp.GetPageAsync(_client, "/issues");
        var details = await TutorialHttp.EventPageAsync(_client, eventId);

        foreach (var page in new[] { list, details })
        {
            Assert.DoesNotContain("<script>alert", page, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>env</b>", page, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;", page, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<img", details, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>tag</i>", details, StringComparison.Ordinal);
        Assert.DoesNotContain("<u>sdk</u>", details, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_AfterAReportReachedTheEndpoint_200HealthyJsonSayingItWasAccepted()
    {
        var eventId = await TutorialHttp.PressAsync(_client, "/handled", HttpStatusCode.OK);
        await TutorialHttp.EventPageAsync(_client, eventId);

        var (status, check) = await TutorialHttp.HealthAsync(_client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal("Sentry accepted the last envelope.", check.GetProperty("description").GetString());
        Assert.True(check.GetProperty("data").GetProperty("delivered").GetInt64() >= 1);
        Assert.Equal(0, check.GetProperty("data").GetProperty("dropped.send_error").GetInt64());
        Assert.Equal(JsonValueKind.String, check.GetProperty("data").GetProperty("last_delivery").ValueKind);
        var home = await TutorialHttp.GetPageAsync(_client, "/");
        Assert.Contains("<a href=\"/healthz\">/healthz</a>", home, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _client.Dispose();
        if (fixture.App.HasExited)
        {
            output.WriteLine($"TutorialApp exited:\n{fixture.App.Output}");
        }
    }

    private static string Detail(string body)
    {
        using var json = JsonDocument.Parse(body);
        var detail = json.RootElement.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail), body);
        return detail!;
    }

    /// <summary>After a refusal: the app is up, serves its home page, reports and shows a new event, and lists the refusal.</summary>
    private async Task AssertStillServingAsync((int Status, string Reason) refusal)
    {
        Assert.False(fixture.App.HasExited, fixture.App.Output);
        var home = await TutorialHttp.GetPageAsync(_client, "/");
        Assert.Contains("ErrorReporting tutorial", home, StringComparison.Ordinal);

        var eventId = await TutorialHttp.PressAsync(_client, "/message", HttpStatusCode.OK);
        var page = await TutorialHttp.EventPageAsync(_client, eventId);
        Assert.Contains("Someone pressed the tutorial&#x27;s message button.", page, StringComparison.Ordinal);

        var issues = await TutorialHttp.GetPageAsync(_client, "/issues");
        Assert.Contains($"<td class=\"status\">{refusal.Status}</td>", issues, StringComparison.Ordinal);
        Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(refusal.Reason), issues, StringComparison.Ordinal);
        Assert.False(fixture.App.HasExited, fixture.App.Output);
    }
}
