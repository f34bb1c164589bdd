using System.Net;
using System.Text;
using System.Text.Json;

namespace TutorialApp.Tests;

/// <summary>What the HTTP tests do with the app: press a button's endpoint, open pages, post envelopes.</summary>
internal static class TutorialHttp
{
    /// <summary>Bound of every wait for an event to show up.</summary>
    public static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    public static HttpClient Client(TutorialAppProcess app, bool followRedirects = true)
        => new(new HttpClientHandler { AllowAutoRedirect = followRedirects }) { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Calls a button's endpoint and returns the event id of its JSON answer.</summary>
    public static async Task<string> PressAsync(HttpClient client, string endpoint, HttpStatusCode expectedStatus)
    {
        using var response = await client.GetAsync(new Uri(endpoint, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expectedStatus == response.StatusCode, $"GET {endpoint}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var eventId = json.RootElement.GetProperty("eventId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", eventId);
        return eventId!;
    }

    /// <summary>
    /// Opens an event's page until it is there (bounded). The page flushes the reporter before rendering, so the first
    /// request normally finds it; on a loaded machine delivery can take longer than that flush's bound.
    /// </summary>
    public static async Task<string> EventPageAsync(HttpClient client, string eventId)
    {
        var deadline = DateTime.UtcNow + EventTimeout;
        while (true)
        {
            using var response = await client.GetAsync(new Uri($"/issues/{eventId}", UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return body;
            }

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"Event {eventId} did not show up within {EventTimeout.TotalSeconds} s.");
        }
    }

    public static async Task<string> GetPageAsync(HttpClient client, string path, HttpStatusCode expectedStatus = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expectedStatus == response.StatusCode, $"GET {path}: expected {(int)expectedStatus}, got {(int)response.StatusCode}:\n{body}");
        return body;
    }

    /// <summary>Posts an envelope to the app's embedded endpoint as an SDK does, with the given key.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> PostEnvelopeAsync(HttpClient client, string publicKey, string envelope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/1/envelope/", UriKind.Relative))
        {
            Content = new StringContent(envelope, Encoding.UTF8, "application/x-sentry-envelope"),
        };
        request.Headers.TryAddWithoutValidation("X-Sentry-Auth", $"Sentry sentry_version=7,sentry_client=tutorial-tests/1.0,sentry_key={publicKey}");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>An envelope with one event item.</summary>
    public static string EventEnvelope(string eventId, string eventJson)
        => $"{{\"event_id\":\"{eventId}\"}}\n{{\"type\":\"event\"}}\n{eventJson}\n";

    public static string NewEventId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// Gets <c>/healthz</c> until its status code is no longer <paramref name="statusBefore"/> (bounded by
    /// <see cref="EventTimeout"/>): the check reports what the engine saw, which follows the server's answer.
    /// </summary>
    public static async Task<(HttpStatusCode Status, JsonElement Check)> HealthAfterChangeAsync(HttpClient client, HttpStatusCode statusBefore)
    {
        var pollInterval = TimeSpan.FromMilliseconds(20);
        var deadline = DateTime.UtcNow + EventTimeout;
        var (status, check) = await HealthAsync(client);
        while (status == statusBefore)
        {
            Assert.True(DateTime.UtcNow < deadline, $"/healthz still answers {(int)status} after {EventTimeout.TotalSeconds} s: {check}");
            await Task.Delay(pollInterval);
            (status, check) = await HealthAsync(client);
        }

        return (status, check);
    }

    /// <summary>Gets <c>/healthz</c>: its status code and the JSON of the <c>errorreporting</c> check.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Check)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        return (response.StatusCode, json.RootElement.GetProperty("checks").GetProperty("errorreporting").Clone());
    }
}
