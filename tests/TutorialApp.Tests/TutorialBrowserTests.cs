using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TutorialApp.Tests;

/// <summary>
/// The tutorial as a person does it: open the real app in headless Chromium, press the three buttons, read the ids
/// the page shows, find those events in the issue stream and through its search box, and open the unhandled one.
/// Screenshots of the issue stream and of the event page go to <c>artifacts/screenshots/</c> at the repository root.
/// </summary>
public sealed class TutorialBrowserTests(ITestOutputHelper output)
{
    /// <summary>Bound of every browser wait: generous (CI machines are small and shared), only reached when something is broken.</summary>
    private const float WaitMs = 60_000;

    /// <summary>Bound for the issue stream to list the three events.</summary>
    private static readonly TimeSpan s_eventsTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Headless, and nothing that reaches out to the network on its own.</summary>
    private static readonly string[] s_chromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private static string ScreenshotFolder => Path.Combine(TutorialAppProcess.RepositoryRoot, "artifacts", "screenshots");

    [Fact]
    public async Task Tutorial_ThreeButtons_IdsFoundInIssueStreamAndSearchAndUnhandledEventShowsThrowingFrame()
    {
        // A failure's files are this run's only (the folder may not exist yet on a fresh clone).
        Directory.CreateDirectory(ScreenshotFolder);
        File.Delete(Path.Combine(ScreenshotFolder, "tutorial-failure.png"));
        File.Delete(Path.Combine(ScreenshotFolder, "tutorial-failure.txt"));
        await using var app = await TutorialAppProcess.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = s_chromiumArgs,
            Timeout = WaitMs,
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(WaitMs);
        page.SetDefaultNavigationTimeout(WaitMs);
        SetDefaultExpectTimeout(WaitMs);
        try
        {
            await RunTutorialAsync(app, page);
        }
        catch (Exception failure)
        {
            // Also written next to the screenshots, for a CI run whose test log is gone.
            var report = new System.Text.StringBuilder($"{DateTime.UtcNow:O} {failure}\n\nTutorialApp output:\n{app.Output}\n");
            try
            {
                await SaveScreenshotAsync(page, "tutorial-failure.png");
                report.Append(CultureInfo.InvariantCulture, $"\nPage {page.Url}:\n{await page.ContentAsync()}\n");
            }
            catch (PlaywrightException exception)
            {
                report.Append(CultureInfo.InvariantCulture, $"\nNo failure screenshot: {exception.Message}\n");
            }

            output.WriteLine(report.ToString());
            Directory.CreateDirectory(ScreenshotFolder);
            await File.WriteAllTextAsync(Path.Combine(ScreenshotFolder, "tutorial-failure.txt"), report.ToString());
            throw;
        }
    }

    private async Task RunTutorialAsync(TutorialAppProcess app, IPage page)
    {
        await page.GotoAsync(app.BaseAddress.ToString());
        await Expect(page.Locator("h1")).ToHaveTextAsync("ErrorReporting tutorial");

        // 1. The three buttons, and the ids the page shows.
        var handled = await PressAsync(page, "handled", expectedStatus: 200);
        var unhandled = await PressAsync(page, "unhandled", expectedStatus: 500);
        var message = await PressAsync(page, "message", expectedStatus: 200);
        Assert.Equal(unhandled.EventId, unhandled.HeaderEventId);
        Assert.Equal(3, new[] { handled.EventId, unhandled.EventId, message.EventId }.Distinct().Count());

        // 2. Each id in the issue stream, with handled yes / no / —.
        var issues = new Uri(app.BaseAddress, "/issues");
        await OpenIssueStreamAsync(page, issues, expectedEvents: 3);
        await Expect(HandledCell(page, handled.EventId)).ToHaveTextAsync("yes");
        await Expect(HandledCell(page, unhandled.EventId)).ToHaveTextAsync("no");
        await Expect(HandledCell(page, message.EventId)).ToHaveTextAsync("—");
        foreach (var eventId in new[] { handled.EventId, unhandled.EventId, message.EventId })
        {
            await Expect(Row(page, eventId).Locator("td.id")).ToHaveTextAsync(eventId);
            await Expect(Row(page, eventId).Locator("td.environment")).ToHaveTextAsync("tutorial");
            await Expect(Row(page, eventId).Locator("td.release")).ToHaveTextAsync("tutorial-app@1.0.0");
            await Expect(Row(page, eventId).Locator("td.time")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"));
        }

        await Expect(Row(page, unhandled.EventId).Locator("td.level")).ToHaveTextAsync("error");
        await Expect(Row(page, message.EventId).Locator("td.level")).ToHaveTextAsync("info");
        await Expect(Row(page, unhandled.EventId).Locator("td.title")).ToContainTextAsync("System.InvalidOperationException: Checkout of order 42 failed.");
        await SaveScreenshotAsync(page, "tutorial-issues.png");

        // The home page's health line: /healthz says the events reached the endpoint.
        await page.GotoAsync(app.BaseAddress.ToString());
        await Expect(page.Locator("#health-status")).ToHaveTextAsync("Healthy");
        await Expect(page.Locator("#health-description")).ToHaveTextAsync("Sentry accepted the last envelope.");

        // 3. "Find the exact issue using the event_id": each id pasted into the search box, as people paste it.
        var guid = Guid.ParseExact(unhandled.EventId, "N");
        foreach (var (eventId, pasted) in new[] { (handled.EventId, handled.EventId), (message.EventId, $"  {message.EventId} "), (unhandled.EventId, guid.ToString("D").ToUpperInvariant()) })
        {
            await page.GotoAsync(issues.ToString());
            await page.Locator("#search-id").FillAsync(pasted);
            await page.Locator("#search-button").ClickAsync();
            // Expect, not WaitForURL: WaitForURL also waits for the "load" state, and once (a CI run) never saw it after the
            // form's redirect, although the event page was there; the Expect below waits for what the test needs.
            await Expect(page).ToHaveURLAsync(new Uri(app.BaseAddress, $"/issues/{eventId}").ToString());
            await Expect(page.Locator("#event-id")).ToHaveTextAsync(eventId);
        }

        await page.GotoAsync(issues.ToString());
        var unknown = Guid.NewGuid().ToString("N");
        await page.Locator("#search-id").FillAsync(unknown);
        await page.Locator("#search-button").ClickAsync();
        await Expect(page.Locator("#search-result")).ToContainTextAsync($"No event with this id: {unknown}");

        // 4. The unhandled event: handled no, the frame of the throwing method with its file and line.
        await page.GotoAsync(issues.ToString());
        await Row(page, unhandled.EventId).Locator("td.title a").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(app.BaseAddress, $"/issues/{unhandled.EventId}").ToString());
        await Expect(page.Locator("#event-id")).ToHaveTextAsync(unhandled.EventId);
        await Expect(page.Locator("#handled")).ToHaveTextAsync("no");
        await Expect(page.Locator("#title")).ToHaveTextAsync("System.InvalidOperationException: Checkout of order 42 failed.");
        await Expect(page.Locator(".exception")).ToHaveCountAsync(2);
        var throwing = page.Locator(".exception li.frame-app[data-function='TutorialApp.Checkout.ChargeCard']");
        await Expect(throwing).ToHaveCountAsync(1);
        await Expect(throwing.Locator(".location")).ToHaveTextAsync($"Checkout.cs:{LineOf("Checkout.cs", "throw new TimeoutException(")}");
        var rethrowing = page.Locator(".exception").Nth(0).Locator("li.frame-app[data-function='TutorialApp.Checkout.Run']");
        await Expect(rethrowing.Locator(".location")).ToHaveTextAsync($"Checkout.cs:{LineOf("Checkout.cs", "throw new InvalidOperationException(")}");
        await Expect(page.Locator("#sdk-name")).ToHaveTextAsync("sentry.dotnet.aspnetcore");
        await Expect(page.Locator("#sdk-version")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d+\.\d+"));
        await Expect(page.Locator("#tags")).ToContainTextAsync("tutorial.step");
        await Expect(page.Locator("#tags")).ToContainTextAsync("unhandled");
        await Expect(page.Locator("#request-method")).ToHaveTextAsync("GET");
        await Expect(page.Locator("#request-url")).ToHaveTextAsync(new Uri(app.BaseAddress, "/unhandled").ToString());
        await Expect(page.Locator("#request-query")).ToContainTextAsync("orderId=42");
        await Expect(page.Locator("#request-headers")).ToContainTextAsync("User-Agent");
        await Expect(page.Locator("#user-ip")).ToHaveCountAsync(0);
        await SaveScreenshotAsync(page, "tutorial-event.png");
    }

    /// <summary>
    /// Opens the issue stream until it lists the expected number of events (bounded). The page flushes the reporter
    /// before rendering, so one load is normally enough; on a loaded machine delivery can take longer than its flush bound.
    /// </summary>
    private static async Task OpenIssueStreamAsync(IPage page, Uri issues, int expectedEvents)
    {
        var deadline = DateTime.UtcNow + s_eventsTimeout;
        while (true)
        {
            await page.GotoAsync(issues.ToString());
            var count = await page.Locator("tr.issue").CountAsync();
            if (count == expectedEvents)
            {
                return;
            }

            Assert.True(count < expectedEvents, $"The issue stream lists {count} events; expected {expectedEvents}.");
            Assert.True(DateTime.UtcNow < deadline, $"The issue stream still lists {count} of {expectedEvents} events after {s_eventsTimeout.TotalSeconds} s.");
        }
    }

    /// <summary>
    /// Presses a button and returns the id the page shows, checking it against the JSON the endpoint returned
    /// (caught from the network) and the <c>X-Sentry-Event-Id</c> header.
    /// </summary>
    private static async Task<(string EventId, string? HeaderEventId)> PressAsync(IPage page, string name, int expectedStatus)
    {
        var response = await page.RunAndWaitForResponseAsync(
            () => page.Locator($"#{name}-button").ClickAsync(),
            r => new Uri(r.Url).AbsolutePath == $"/{name}");
        Assert.Equal(expectedStatus, response.Status);
        using var body = JsonDocument.Parse(await response.TextAsync());
        var returned = body.RootElement.GetProperty("eventId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", returned);

        var shown = page.Locator($"#{name}-id[data-event-id]");
        await Expect(shown).ToHaveCountAsync(1);
        var eventId = await shown.GetAttributeAsync("data-event-id");
        Assert.Equal(returned, eventId);
        await Expect(shown).ToContainTextAsync(returned!);
        return (eventId!, await response.HeaderValueAsync("x-sentry-event-id"));
    }

    private static ILocator Row(IPage page, string eventId) => page.Locator($"tr.issue[data-event-id='{eventId}']");

    private static ILocator HandledCell(IPage page, string eventId) => Row(page, eventId).Locator("td.handled");

    /// <summary>The 1-based line of the sample's source file that contains <paramref name="text"/> (exactly one line does).</summary>
    private static int LineOf(string file, string text)
    {
        var lines = File.ReadAllLines(Path.Combine(TutorialAppProcess.RepositoryRoot, "samples", "TutorialApp", file));
        var matches = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(text, StringComparison.Ordinal)).ToArray();
        Assert.True(matches.Length == 1, $"Expected one line of {file} with '{text}', found {matches.Length}.");
        return matches[0] + 1;
    }

    private async Task SaveScreenshotAsync(IPage page, string fileName)
    {
        var path = Path.Combine(ScreenshotFolder, fileName);
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 0, $"Empty screenshot {path}");
        output.WriteLine($"Screenshot: {path}");
    }

    /// <summary>Debian's Chromium (<c>apt-get install chromium</c>); <c>CHROMIUM_PATH</c> overrides it.</summary>
    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Chromium is not installed at {path}: run 'apt-get install -y chromium' (or set CHROMIUM_PATH).", path);
    }
}
