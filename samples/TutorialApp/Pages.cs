using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ErrorReporting.Testing;

namespace TutorialApp;

/// <summary>The tutorial's HTML pages: the home page with its three buttons, the issue stream and an event's details.</summary>
internal static class Pages
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d1127; }
        h1 { margin-bottom: .25rem; } .muted { color: #6c5f7c; } code, .id { font-family: ui-monospace, monospace; }
        nav a { margin-right: 1rem; }
        .actions { display: grid; grid-template-columns: 16rem 1fr; gap: .75rem 1rem; align-items: center; margin: 1.5rem 0; }
        button { font-size: 1rem; padding: .5rem .75rem; border-radius: 6px; border: 1px solid #6c5fc7; background: #6c5fc7; color: white; cursor: pointer; }
        table { border-collapse: collapse; width: 100%; margin: 1rem 0; } th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e7e1ec; vertical-align: top; }
        th { background: #faf9fb; } .level-error, .handled-no { color: #c0263b; font-weight: 600; } .level-info { color: #2562d4; } .handled-yes { color: #2c7a3f; font-weight: 600; }
        .frame-app { font-weight: 600; } .frame-lib { color: #6c5f7c; } .box { border: 1px solid #e7e1ec; border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
        pre { background: #faf9fb; padding: 1rem; overflow-x: auto; }
        form#search { margin: 1rem 0; } form#search input { font-family: ui-monospace, monospace; font-size: 1rem; padding: .4rem; }
        td.time, td.id { white-space: nowrap; }
        .notice { border-left: 4px solid #c0263b; padding: .5rem 1rem; background: #fdf2f4; }
        .health-healthy { color: #2c7a3f; } .health-degraded { color: #b35c00; } .health-unhealthy { color: #c0263b; }
        """;

    private const string Script = """
        for (const button of document.querySelectorAll('button[data-endpoint]')) {
          button.addEventListener('click', async () => {
            const output = document.getElementById(button.dataset.output);
            output.textContent = 'calling ' + button.dataset.endpoint + '…';
            delete output.dataset.eventId;
            try {
              const response = await fetch(button.dataset.endpoint, { headers: { Accept: 'application/json' } });
              const body = await response.json();
              const id = body.eventId || response.headers.get('X-Sentry-Event-Id');
              output.textContent = 'HTTP ' + response.status + ', event id ';
              // The id links to its page when the app receives its events itself; with a DSN they are in Sentry.
              const shown = document.createElement(button.closest('.actions').dataset.embedded === 'true' ? 'a' : 'span');
              if (shown.tagName === 'A') {
                shown.href = '/issues/' + encodeURIComponent(id);
              }
              shown.className = 'id';
              shown.textContent = id;
              output.append(shown);
              output.dataset.eventId = id;
            } catch (error) {
              output.textContent = 'failed: ' + error;
            }
            refreshHealth();
          });
        }

        // /healthz: whether errors reach Sentry, as ErrorReporting's health check says (200, or 503 when Unhealthy).
        async function refreshHealth() {
          const status = document.getElementById('health-status');
          const description = document.getElementById('health-description');
          try {
            const check = (await (await fetch('/healthz')).json()).checks.errorreporting;
            status.textContent = check.status;
            status.className = 'health-' + check.status.toLowerCase();
            description.textContent = check.description;
          } catch (error) {
            status.textContent = 'unknown';
            description.textContent = 'failed: ' + error;
          }
        }
        refreshHealth();
        """;

    public static string Home(EventDestination destination)
    {
        var html = new StringBuilder();
        html.Append("<h1>ErrorReporting tutorial</h1>")
            .Append("<p class=\"muted\">Capturing errors with ErrorReporting.AspNetCore, as in Sentry's backend tutorial. ")
            .Append(Destination(destination)).Append("</p>")
            .Append("<div class=\"actions\" data-embedded=\"").Append(destination.Receiver is null ? "false" : "true").Append("\">");
        Action(html, "handled", "/handled", "Report a handled error", "The endpoint throws, catches and calls <code>ReportHandled</code>: <em>handled: yes</em>.");
        Action(html, "unhandled", "/unhandled?orderId=42", "Throw an unhandled error", "Nobody catches it: the integration reports it (<em>handled: no</em>) and the ProblemDetails response carries the id.");
        Action(html, "message", "/message", "Send a message", "<code>ReportMessage</code>: an event without an exception.");
        html.Append("</div><p id=\"health\" class=\"box\">Error delivery (<a href=\"/healthz\">/healthz</a>): <strong id=\"health-status\">…</strong> <span id=\"health-description\" class=\"muted\"></span></p>")
            .Append("<p><a href=\"/issues\">Open the issue stream</a> and find an event by the id shown here (paste it into the search box) · endpoints: <a href=\"/handled\">/handled</a>, <a href=\"/unhandled?orderId=42\">/unhandled</a>, <a href=\"/message\">/message</a></p>")
            .Append("<script>").Append(Script).Append("</script>");
        return Layout("ErrorReporting tutorial", html.ToString());
    }

    /// <summary>The issue stream: a search box, the received events newest first, and the requests the endpoint refused.</summary>
    /// <param name="destination">Where events go.</param>
    /// <param name="search">What was searched for and why it led here (not found, not an id), or <see langword="null"/>.</param>
    public static string IssueList(EventDestination destination, IssueSearch? search = null)
    {
        var html = new StringBuilder("<h1>Issue stream</h1>");
        if (destination.Receiver is not { } receiver)
        {
            html.Append("<p id=\"destination\">").Append(Destination(destination))
                .Append(" Open the project's Issues page in Sentry to see them (search <code>id:&lt;event id&gt;</code> there); this page lists events only when the app receives them itself (no DSN configured).</p>");
            return Layout("Issue stream", html.ToString());
        }

        SearchBox(html, search);
        var events = receiver.Events;
        html.Append("<p class=\"muted\" id=\"destination\">").Append(Destination(destination)).Append(' ')
            .Append(events.Count.ToString(CultureInfo.InvariantCulture)).Append(" event(s), newest first. <a href=\"/issues\">Refresh</a></p>");
        if (events.Count == 0)
        {
            html.Append("<p id=\"no-events\">No events yet: <a href=\"/\">go back</a> and press a button.</p>");
        }
        else
        {
            html.Append("<table id=\"issues\"><thead><tr><th>Time (UTC)</th><th>Level</th><th>Handled</th><th>Title</th><th>Event id</th><th>Environment</th><th>Release</th></tr></thead><tbody>");
            for (var i = events.Count - 1; i >= 0; i--)
            {
                var received = events[i];
                var handled = HandledText(received);
                html.Append("<tr class=\"issue\" data-event-id=\"").Append(E(received.EventId)).Append("\" data-handled=\"").Append(E(handled)).Append("\">")
                    .Append("<td class=\"time\">").Append(E(TimeOf(received))).Append("</td>")
                    .Append("<td class=\"level level-").Append(E(received.Level)).Append("\">").Append(E(received.Level)).Append("</td>")
                    .Append("<td class=\"handled handled-").Append(handled == "—" ? "none" : handled).Append("\">").Append(E(handled)).Append("</td>")
                    .Append("<td class=\"title\"><a href=\"/issues/").Append(E(received.EventId)).Append("\">").Append(E(TitleOf(received))).Append("</a>")
                    .Append(received.Transaction is { } transaction ? $"<div class=\"muted\">{E(transaction)}</div>" : "").Append("</td>")
                    .Append("<td class=\"id\">").Append(E(received.EventId)).Append("</td>")
                    .Append("<td class=\"environment\">").Append(E(received.Environment)).Append("</td>")
                    .Append("<td class=\"release\">").Append(E(received.Release)).Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        // The endpoint's own errors are data too: what it refused, and why, as the sender was told.
        var refused = receiver.Rejections;
        if (refused.Count > 0)
        {
            html.Append("<h2>Refused requests</h2><p class=\"muted\">Requests the envelope endpoint answered with an error, as Sentry would (the sender got the status and the reason as <code>{\"detail\": …}</code>).</p>")
                .Append("<table id=\"refused\"><thead><tr><th>Time (UTC)</th><th>Status</th><th>Request</th><th>Reason</th></tr></thead><tbody>");
            for (var i = refused.Count - 1; i >= 0; i--)
            {
                var rejection = refused[i];
                html.Append("<tr class=\"refused\"><td>").Append(E(rejection.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))).Append("</td>")
                    .Append("<td class=\"status\">").Append(rejection.StatusCode.ToString(CultureInfo.InvariantCulture)).Append("</td>")
                    .Append("<td><code>").Append(E(rejection.Method)).Append(' ').Append(E(rejection.Path)).Append("</code></td>")
                    .Append("<td class=\"reason\">").Append(E(rejection.Reason)).Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        return Layout("Issue stream", html.ToString());
    }

    /// <summary>An event's page, or <see langword="null"/> when no event with that id has arrived.</summary>
    /// <param name="destination">Where events go.</param>
    /// <param name="eventId">The event id in any form <see cref="EventIds.Normalize"/> accepts.</param>
    public static string? IssueDetails(EventDestination destination, string eventId)
    {
        if (Find(destination, eventId) is not { } received)
        {
            return null;
        }

        var handled = HandledText(received);
        var html = new StringBuilder();
        html.Append("<h1 id=\"title\">").Append(E(TitleOf(received))).Append("</h1>")
            .Append("<table class=\"summary\"><tbody>");
        Row(html, "Event id", received.EventId, "event-id");
        Row(html, "Time (UTC)", TimeOf(received));
        Row(html, "Level", received.Level);
        Row(html, "Handled", handled, "handled");
        Row(html, "Mechanism", received.MechanismType);
        Row(html, "Transaction", received.Transaction);
        Row(html, "Environment", received.Environment);
        Row(html, "Release", received.Release);
        Row(html, "SDK", received.SdkName, "sdk-name");
        Row(html, "SDK version", received.SdkVersion, "sdk-version");
        html.Append("</tbody></table>");

        if (received.Exceptions.Count > 0)
        {
            html.Append("<h2>Exception chain</h2><p class=\"muted\">Outermost first; frames most recent call first; your code in bold.</p>");
            for (var i = received.Exceptions.Count - 1; i >= 0; i--)
            {
                var value = received.Exceptions[i];
                html.Append("<div class=\"box exception\"><strong>").Append(E(value.Type)).Append("</strong>: ").Append(E(value.Value))
                    .Append("<div class=\"muted\">mechanism ").Append(E(value.Mechanism?.Type)).Append(", handled ")
                    .Append(E(value.Mechanism?.Handled switch { true => "yes", false => "no", null => "—" })).Append("</div>");
                if (value.Frames.Count > 0)
                {
                    html.Append("<ol class=\"frames\">");
                    for (var f = value.Frames.Count - 1; f >= 0; f--)
                    {
                        var frame = value.Frames[f];
                        var function = frame.Module is null ? frame.Function : $"{frame.Module}.{frame.Function}";
                        html.Append("<li class=\"frame ").Append(frame.InApp == true ? "frame-app" : "frame-lib").Append("\" data-function=\"").Append(E(function)).Append("\"><code>").Append(E(function)).Append("</code>");
                        if (Location(frame) is { } location)
                        {
                            html.Append(" <span class=\"muted\">in</span> <code class=\"location\"").Append(frame.AbsolutePath is { } absolutePath ? $" title=\"{E(absolutePath)}\"" : "").Append('>')
                                .Append(E(location)).Append("</code>");
                        }

                        html.Append("</li>");
                    }

                    html.Append("</ol>");
                }

                html.Append("</div>");
            }
        }
        else
        {
            html.Append("<h2>Message</h2><p class=\"box\">").Append(E(received.Message)).Append("</p>");
        }

        html.Append("<h2>Tags</h2><table id=\"tags\"><tbody>");
        foreach (var tag in received.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            Row(html, tag.Key, tag.Value);
        }

        html.Append("</tbody></table>");
        if (received.Request is { } request)
        {
            html.Append("<h2>Request</h2><table id=\"request\"><tbody>");
            Row(html, "Method", request.Method, "request-method");
            Row(html, "URL", request.Url, "request-url");
            Row(html, "Query string", request.QueryString, "request-query");
            html.Append("</tbody></table>");
            if (request.Headers.Count > 0)
            {
                html.Append("<h3>Headers</h3><table id=\"request-headers\"><tbody>");
                foreach (var header in request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
                {
                    Row(html, header.Key, header.Value);
                }

                html.Append("</tbody></table>");
            }
        }

        // The SDK sends a user id of its own (the installation id) on every event; name, e-mail and IP address only
        // with SendDefaultPii.
        if (received.User is { } user && (user.Id ?? user.Username ?? user.Email ?? user.IpAddress) is not null)
        {
            html.Append("<h2>User</h2><table id=\"user\"><tbody>");
            Row(html, "Id", user.Id, "user-id");
            Row(html, "User name", user.Username, "user-name");
            Row(html, "E-mail", user.Email, "user-email");
            Row(html, "IP address", user.IpAddress, "user-ip");
            html.Append("</tbody></table>");
            if ((user.Username ?? user.Email ?? user.IpAddress) is null)
            {
                html.Append("<p class=\"muted\" id=\"user-note\">Only an id: the SDK sends the user's name, e-mail and IP address only with <code>Sentry:SendDefaultPii</code> on.</p>");
            }
        }

        html.Append("<details><summary>Event JSON as received</summary><pre>").Append(E(Indent(received.RawJson))).Append("</pre></details>");
        return Layout(TitleOf(received), html.ToString());
    }

    /// <summary>The page of an event id that has not arrived.</summary>
    public static string NotFound(string eventId)
        => Layout("Event not found", $"<h1>Event not found</h1><p id=\"search-result\">No event with this id: <code>{E(eventId)}</code>. <a href=\"/issues\">Back to the issue stream</a></p>");

    /// <summary>The received event with that id (the payload's or the envelope header's), or <see langword="null"/>.</summary>
    public static ReceivedEvent? Find(EventDestination destination, string eventId)
    {
        if (destination.Receiver is not { } receiver || EventIds.Normalize(eventId) is not { } id)
        {
            return null;
        }

        return receiver.Events.LastOrDefault(e => EventIds.Normalize(e.EventId) == id || EventIds.Normalize(e.EnvelopeEventId) == id);
    }

    /// <summary>Handled yes/no as Sentry derives it: from the mechanism of the last exception value; "—" when there is none.</summary>
    public static string HandledText(ReceivedEvent received) => received.Handled switch
    {
        true => "yes",
        false => "no",
        null => "—",
    };

    private static string TitleOf(ReceivedEvent received)
        => received.Exceptions.Count > 0 ? $"{received.Exceptions[^1].Type}: {received.Exceptions[^1].Value}" : received.Message ?? "(no message)";

    private static string TimeOf(ReceivedEvent received)
        => (DateTimeOffset.TryParse(received.Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : received.Envelope.ReceivedAt)
            .UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Destination(EventDestination destination)
        => destination.Receiver is not null
            ? $"No DSN is configured, so events go to this app itself: its Sentry-compatible endpoint <code>{E(EventDestination.EnvelopePath)}</code> receives them."
            : $"A DSN is configured: events go to Sentry at <strong>{E(destination.SentryHost)}</strong>.";

    /// <summary><c>file:line</c> of a frame (the file name the SDK sent, else the last part of <c>abs_path</c>), or <see langword="null"/>.</summary>
    private static string? Location(SentryStackFrame frame)
    {
        var file = string.IsNullOrEmpty(frame.FileName) ? Path.GetFileName(frame.AbsolutePath) : frame.FileName;
        if (string.IsNullOrEmpty(file))
        {
            return null;
        }

        return frame.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $"{file}:{line}") : file;
    }

    private static void SearchBox(StringBuilder html, IssueSearch? search)
    {
        html.Append("<form id=\"search\" method=\"get\" action=\"/issues\" role=\"search\">")
            .Append("<label for=\"search-id\">Find an event by its id</label> ")
            .Append("<input id=\"search-id\" name=\"id\" type=\"search\" size=\"40\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"paste an event id (dashes and capitals are fine)\" value=\"")
            .Append(E(search?.Query)).Append("\"> <button id=\"search-button\" type=\"submit\">Find</button></form>");
        if (search is not null)
        {
            html.Append("<p id=\"search-result\" class=\"notice\">").Append(search.NotAnId
                ? $"Not an event id: <code>{E(search.Query)}</code> (an event id is 32 hexadecimal digits; dashes, braces and capitals are ignored)."
                : $"No event with this id: <code>{E(search.EventId)}</code>. It may not have arrived yet: <a href=\"/issues?id={E(Uri.EscapeDataString(search.Query))}\">search again</a>.").Append("</p>");
        }
    }

    private static void Action(StringBuilder html, string name, string endpoint, string label, string explanation)
        => html.Append("<button id=\"").Append(name).Append("-button\" data-endpoint=\"").Append(endpoint).Append("\" data-output=\"").Append(name).Append("-id\">")
            .Append(E(label)).Append("</button><div>").Append(explanation).Append("<div><output id=\"").Append(name).Append("-id\"></output></div></div>");

    private static void Row(StringBuilder html, string name, string? value, string? id = null)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        html.Append("<tr><th>").Append(E(name)).Append("</th><td").Append(id is null ? "" : $" id=\"{id}\"").Append('>').Append(E(value)).Append("</td></tr>");
    }

    private static string Indent(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, s_indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string Layout(string title, string body)
        => $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · TutorialApp</title><style>{Style}</style></head>
            <body><nav><a href="/">Tutorial</a><a href="/issues">Issue stream</a></nav>{body}</body></html>
            """;

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? string.Empty);
}
