using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TutorialApp.Tests;

/// <summary>
/// The tutorial as a person does it: open the real app in headless Chromium, press the three buttons, read the ids
/// the page shows, and find those events in the app's issue stream and details view.
/// </summary>
public sealed class TutorialBrowserTests(ITestOutputHelper output)
{
    /// <summary>Bound of every browser wait: generous (CI machines are small and shared), only reached when something is broken.</summary>
    private const float WaitMs = 30_000;

    /// <summary>Bound for the issue stream to list the three events.</summary>
    private static readonly TimeSpan s_eventsTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] s_chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    [Fact]
    public async Task Tutorial_ThreeButtons_EventsInIssueStreamWithHandledYesNoDash()
    {
        await using var app = await TutorialAppProcess.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath(),
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
        catch (Exception)
        {
            output.WriteLine($"TutorialApp output:\n{app.Output}");
            try
            {
                await SaveScreenshotAsync(page, "tutorial-failure.png");
                output.WriteLine($"Page {page.Url}:\n{await page.ContentAsync()}");
            }
            catch (PlaywrightException exception)
            {
                output.WriteLine($"No failure screenshot: {exception.Message}");
            }

            throw;
        }
    }

    private async Task RunTutorialAsync(TutorialAppProcess app, IPage page)
    {
        await page.GotoAsync(app.BaseAddress.ToString());
        await Expect(page.Locator("h1")).ToHaveTextAsync("ErrorReporting tutorial");

        var handled = await PressAsync(page, "handled", expectedStatus: 200);
        var unhandled = await PressAsync(page, "unhandled", expectedStatus: 500);
        var message = await PressAsync(page, "message", expectedStatus: 200);
        Assert.Equal(unhandled.EventId, unhandled.HeaderEventId);
        Assert.Equal(3, new[] { handled.EventId, unhandled.EventId, message.EventId }.Distinct().Count());
        await SaveScreenshotAsync(page, "tutorial-home.png");

        await OpenIssueStreamAsync(page, new Uri(app.BaseAddress, "/issues"), expectedEvents: 3);
        await Expect(HandledCell(page, handled.EventId)).ToHaveTextAsync("yes");
        await Expect(HandledCell(page, unhandled.EventId)).ToHaveTextAsync("no");
        await Expect(HandledCell(page, message.EventId)).ToHaveTextAsync("—");
        await Expect(page.Locator($"tr.issue[data-event-id='{unhandled.EventId}']")).ToContainTextAsync("Checkout of order 42 failed.");
        await Expect(page.Locator($"tr.issue[data-event-id='{message.EventId}'] td.level-info")).ToHaveTextAsync("info");
        await Expect(page.Locator("tr.issue").First).ToContainTextAsync("tutorial-app@1.0.0");
        await SaveScreenshotAsync(page, "tutorial-issues.png");

        await page.Locator($"tr.issue[data-event-id='{unhandled.EventId}'] a").ClickAsync();
        await page.WaitForURLAsync($"**/issues/{unhandled.EventId}");
        await Expect(page.Locator("#event-id")).ToHaveTextAsync(unhandled.EventId);
        await Expect(page.Locator("#handled")).ToHaveTextAsync("no");
        await Expect(page.Locator("#title")).ToHaveTextAsync("System.InvalidOperationException: Checkout of order 42 failed.");
        await Expect(page.Locator(".exception")).ToHaveCountAsync(2);
        await Expect(page.Locator(".exception").Nth(1)).ToContainTextAsync("System.TimeoutException");
        await Expect(page.Locator(".exception .frame-app").First).ToContainTextAsync("TutorialApp.Checkout.Run");
        await Expect(page.Locator("#tags")).ToContainTextAsync("tutorial.step");
        await Expect(page.Locator("#request")).ToContainTextAsync(new Uri(app.BaseAddress, "/unhandled").ToString());
        await SaveScreenshotAsync(page, "tutorial-details.png");
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
            r => r.Url.EndsWith($"/{name}", StringComparison.Ordinal));
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

    private static ILocator HandledCell(IPage page, string eventId) => page.Locator($"tr.issue[data-event-id='{eventId}'] td.handled");

    private async Task SaveScreenshotAsync(IPage page, string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestResults", fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"Screenshot: {path}");
        Console.WriteLine($"Screenshot: {path}");
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
