using System.Net;
using ErrorReporting.Testing;
using Xunit.Abstractions;

namespace TutorialApp.Tests;

/// <summary>
/// The app's settings as a user sets them: a DSN (events go to that Sentry, here a <see cref="SentryTestServer"/>,
/// and the embedded endpoint is not there) and <c>Sentry:SendDefaultPii</c> (the event page shows the user).
/// </summary>
public sealed class TutorialConfigurationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("SENTRY_DSN")]
    [InlineData("Sentry__Dsn")]
    public async Task Dsn_Configured_EventsGoToThatSentryAndNoEmbeddedEndpoint(string variable)
    {
        await using var sentry = await SentryTestServer.StartAsync();
        await using var app = await TutorialAppProcess.StartAsync(new Dictionary<string, string> { [variable] = sentry.Dsn });
        try
        {
            using var client = TutorialHttp.Client(app);

            var handledId = await TutorialHttp.PressAsync(client, "/handled", HttpStatusCode.OK);
            var unhandledId = await TutorialHttp.PressAsync(client, "/unhandled?orderId=7", HttpStatusCode.InternalServerError);

            var handled = await sentry.WaitForEventAsync(handledId, TutorialHttp.EventTimeout);
            var unhandled = await sentry.WaitForEventAsync(unhandledId, TutorialHttp.EventTimeout);
            Assert.True(handled.Handled);
            Assert.Equal("handled", handled.Tags["tutorial.step"]);
            Assert.False(unhandled.Handled);
            Assert.Equal("Checkout of order 7 failed.", unhandled.Exceptions[^1].Value);
            Assert.Equal("sentry.dotnet.aspnetcore", unhandled.SdkName);
            Assert.Equal("tutorial", unhandled.Environment);

            var (status, _) = await TutorialHttp.PostEnvelopeAsync(client, sentry.PublicKey, TutorialHttp.EventEnvelope(TutorialHttp.NewEventId(), """{"message":"x"}"""));
            Assert.Equal(HttpStatusCode.NotFound, status);

            var issues = await TutorialHttp.GetPageAsync(client, "/issues");
            Assert.Contains($"events go to Sentry at <strong>{sentry.EnvelopeUri.Host}</strong>", issues, StringComparison.Ordinal);
            Assert.DoesNotContain("<table id=\"issues\"", issues, StringComparison.Ordinal);
            var home = await TutorialHttp.GetPageAsync(client, "/");
            Assert.Contains("data-embedded=\"false\"", home, StringComparison.Ordinal);
            var eventPage = await TutorialHttp.GetPageAsync(client, $"/issues/{handledId}", HttpStatusCode.NotFound);
            Assert.Contains("Open the project's Issues page in Sentry", eventPage, StringComparison.Ordinal);
            Assert.Contains($"Events go to Sentry at {sentry.EnvelopeUri.Host}.", app.Output, StringComparison.Ordinal);
            foreach (var shown in new[] { issues, home, eventPage, app.Output })
            {
                Assert.DoesNotContain(sentry.PublicKey, shown, StringComparison.OrdinalIgnoreCase);
            }
        }
        catch (Exception)
        {
            output.WriteLine($"TutorialApp output:\n{app.Output}");
            throw;
        }
    }

    [Fact]
    public async Task Healthz_SentryRejectsTheKey_503UnhealthySayingToCheckTheDsnWithoutTheKey()
    {
        await using var sentry = await SentryTestServer.StartAsync();
        sentry.Faults.Handler = _ => FaultResponse.Status(401, $"{{\"detail\":\"unknown public key '{sentry.PublicKey}'\"}}");
        await using var app = await TutorialAppProcess.StartAsync(new Dictionary<string, string> { ["SENTRY_DSN"] = sentry.Dsn });
        try
        {
            using var client = TutorialHttp.Client(app);

            await TutorialHttp.PressAsync(client, "/handled", HttpStatusCode.OK);
            var (status, check) = await TutorialHttp.HealthAfterChangeAsync(client, statusBefore: HttpStatusCode.OK);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
            Assert.Equal("Sentry rejected the DSN key (HTTP 401: unknown public key '***'): the key is wrong or was revoked; check Sentry:Dsn (or SENTRY_DSN).", check.GetProperty("description").GetString());
            Assert.Equal(401, check.GetProperty("data").GetProperty("last_failure_status").GetInt32());
            Assert.DoesNotContain(sentry.PublicKey, check.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(sentry.PublicKey, app.Output, StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception)
        {
            output.WriteLine($"TutorialApp output:\n{app.Output}");
            throw;
        }
    }

    [Theory]
    [InlineData("SENTRY_DSN", "https://0123456789abcdef0123456789abcdef@sentry.example.invalid/")]
    [InlineData("SENTRY_DSN", "not a DSN 0123456789abcdef0123456789abcdef")]
    [InlineData("Sentry__Dsn", "ftp://0123456789abcdef0123456789abcdef@sentry.example.invalid/1")]
    public async Task Dsn_Invalid_ExitsWithReasonWithoutTheKey(string variable, string dsn)
    {
        var (exitCode, printed) = await TutorialAppProcess.RunToExitAsync(new Dictionary<string, string> { [variable] = dsn });

        Assert.Equal(1, exitCode);
        Assert.Contains($"TutorialApp cannot start: {(variable == "SENTRY_DSN" ? "SENTRY_DSN" : "Sentry:Dsn")} is not a valid DSN", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef0123456789abcdef", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventPage_SendDefaultPiiOn_ShowsTheUserWithIpAddress()
    {
        await using var app = await TutorialAppProcess.StartAsync(null, "--Sentry:SendDefaultPii=true");
        using var client = TutorialHttp.Client(app);

        var eventId = await TutorialHttp.PressAsync(client, "/unhandled", HttpStatusCode.InternalServerError);
        var page = await TutorialHttp.EventPageAsync(client, eventId);

        Assert.Contains("<table id=\"user\">", page, StringComparison.Ordinal);
        Assert.Contains("<td id=\"user-ip\">127.0.0.1</td>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"user-note\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventPage_SendDefaultPiiOff_ShowsNoIpAddressAndFilteredSecretQueryValues()
    {
        await using var app = await TutorialAppProcess.StartAsync();
        using var client = TutorialHttp.Client(app);

        var eventId = await TutorialHttp.PressAsync(client, "/unhandled?orderId=42&api_key=hunter2", HttpStatusCode.InternalServerError);
        var page = await TutorialHttp.EventPageAsync(client, eventId);

        Assert.DoesNotContain("id=\"user-ip\"", page, StringComparison.Ordinal);
        Assert.Contains("id=\"user-note\"", page, StringComparison.Ordinal);
        var request = Section(page, "<table id=\"request\">");
        Assert.Contains("<td id=\"request-method\">GET</td>", request, StringComparison.Ordinal);
        Assert.Contains("<td id=\"request-query\">?orderId=42&amp;api_key=[Filtered]</td>", request, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", request, StringComparison.Ordinal);
    }

    /// <summary>The table that starts with <paramref name="start"/>, up to its end.</summary>
    private static string Section(string page, string start)
    {
        var index = page.IndexOf(start, StringComparison.Ordinal);
        Assert.True(index >= 0, $"No {start} in the page:\n{page}");
        var end = page.IndexOf("</table>", index, StringComparison.Ordinal);
        return page[index..end];
    }
}
