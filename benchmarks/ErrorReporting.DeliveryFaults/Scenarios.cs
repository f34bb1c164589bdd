using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ErrorReporting.Testing;

namespace ErrorReporting.DeliveryFaults;

/// <summary>A row pair of the table: the same script, run once per <see cref="Side"/>.</summary>
/// <param name="Name">The name for <c>--scenario</c>.</param>
/// <param name="Title">The first column of the table.</param>
/// <param name="EveryReportAccepted">Whether ErrorReporting promises to accept every report here (its queue never fills).</param>
/// <param name="FlushWithinTimeout">
/// Whether ErrorReporting's <c>FlushAsync(10 s)</c> must return <see langword="true"/> here: for the paced scenarios, whose
/// backlog is 50 or 200 envelopes; not for 10,000 reports, whose delivery time depends on the machine (then the flush
/// returning <see langword="false"/> at its timeout is correct, and the parent keeps counting after it).
/// </param>
/// <param name="Run">Runs one side.</param>
internal sealed record Scenario(string Name, string Title, bool EveryReportAccepted, bool FlushWithinTimeout, Func<Scenario, Side, RunSettings, Task<Row>> Run);

/// <summary>How long the parent waits for a run to settle.</summary>
/// <param name="QuietPeriod">After the child's flush returned: stop waiting once no event arrived for this long.</param>
/// <param name="SettleBound">After the child's flush returned: stop waiting after this long in any case.</param>
internal sealed record RunSettings(TimeSpan QuietPeriod, TimeSpan SettleBound);

/// <summary>
/// The scripts. Every run starts its own <see cref="SentryTestServer"/> (or none yet, for "refused") and its own
/// child process; the parent injects the faults and counts. Paced scenarios report <see cref="PacedReports"/>
/// messages, one every <see cref="PacedInterval"/>.
/// </summary>
internal static class Scenarios
{
    public const int PacedReports = 50;
    public const int KilledReports = 200;
    public const int LoadReports = 10_000;
    public const int LoadThreads = 8;
    public const int ServerErrors = 5;

    public static readonly TimeSpan PacedInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan KilledInterval = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RateLimit = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan s_childReady = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_childDone = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_childClose = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_cacheBound = TimeSpan.FromSeconds(30);

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("refused", "connection refused for 3 s, no cache", true, true, (s, side, settings) => RefusedAsync(s, side, settings, withCache: false)),
        new("refused-cache", "connection refused for 3 s, with cache", true, true, (s, side, settings) => RefusedAsync(s, side, settings, withCache: true)),
        new("503", "five 503s, then 200", true, true, (s, side, settings) => ServerErrorsAsync(s, side, settings, 503)),
        new("500", "five 500s, then 200", true, true, (s, side, settings) => ServerErrorsAsync(s, side, settings, 500)),
        new("429", "429 with X-Sentry-Rate-Limits and Retry-After: 3, for 3 s", true, true, RateLimitedAsync),
        new("sigkill", "SIGKILL with cache after 200 paced reports while down, then a restart", true, true, KilledAsync),
        new("load-20000", "10,000 reports from 8 threads, queues at 20,000", true, false, (s, side, settings) => LoadAsync(s, side, settings, queue: 20_000)),
        new("load-default", "10,000 reports from 8 threads, default queues", false, false, (s, side, settings) => LoadAsync(s, side, settings, queue: null)),
    ];

    /// <summary>Nothing listens on the DSN's port until 3 s after the first report returned; then the server starts there.</summary>
    private static async Task<Row> RefusedAsync(Scenario scenario, Side side, RunSettings settings, bool withCache)
    {
        var port = FreePort();
        var key = Guid.NewGuid().ToString("N");
        using var cache = withCache ? new TemporaryDirectory() : null;
        using var child = ChildProcess.Start(Paced(side, $"http://{key}@127.0.0.1:{port}/42", cache?.Path));
        await child.WaitForLineAsync("ready", s_childReady);
        var firstReport = await child.WaitForStartAsync(s_childReady);
        var wait = firstReport + Outage - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { Port = port, PublicKey = key });
        var recovery = DateTimeOffset.UtcNow;
        var notes = new List<string>();
        var problems = new List<string>();
        await FinishAsync(scenario, side, child, server, settings, notes, problems);
        if (cache is not null)
        {
            notes.Add($"cache files left: {cache.EnvelopeFiles()}");
        }

        return Count(scenario, side, PacedReports, child.Ids, server, recovery, notes, problems, child.LastReport, recovery is { } r ? child.AcceptedIdsBefore(r) : null);
    }

    /// <summary>The first five requests are answered with <paramref name="status"/>, the rest normally.</summary>
    private static async Task<Row> ServerErrorsAsync(Scenario scenario, Side side, RunSettings settings, int status)
    {
        await using var server = await SentryTestServer.StartAsync();
        server.Faults.Enqueue([.. Enumerable.Repeat(FaultResponse.Status(status), ServerErrors)]);
        using var child = ChildProcess.Start(Paced(side, server.Dsn, cache: null));
        await child.WaitForLineAsync("ready", s_childReady);
        var notes = new List<string>();
        var problems = new List<string>();
        await FinishAsync(scenario, side, child, server, settings, notes, problems);

        var requests = server.Requests.OrderBy(r => r.Sequence).ToList();
        var recovery = requests.Skip(ServerErrors).FirstOrDefault(r => r.StatusCode == 200)?.ReceivedAt;
        notes.Add($"{requests.Count} requests");
        return Count(scenario, side, PacedReports, child.Ids, server, recovery, notes, problems, child.LastReport, recovery is { } r ? child.AcceptedIdsBefore(r) : null);
    }

    /// <summary>
    /// From the first request on, for 3 s, every request is answered 429 with <c>X-Sentry-Rate-Limits: n:error:organization</c>
    /// and <c>Retry-After: n</c>, n being the seconds left in the window, rounded up (3 for the first).
    /// </summary>
    private static async Task<Row> RateLimitedAsync(Scenario scenario, Side side, RunSettings settings)
    {
        await using var server = await SentryTestServer.StartAsync();
        var window = new RateLimitWindow(RateLimit);
        server.Faults.Handler = window.Answer;
        using var child = ChildProcess.Start(Paced(side, server.Dsn, cache: null));
        await child.WaitForLineAsync("ready", s_childReady);
        var notes = new List<string>();
        var problems = new List<string>();
        await FinishAsync(scenario, side, child, server, settings, notes, problems);

        DateTimeOffset? recovery = null;
        if (window.First is { } first)
        {
            recovery = first.ReceivedAt + RateLimit;
            var inside = server.Requests.Count(r => r.Sequence != first.Sequence && r.ReceivedAt >= first.ReceivedAt && r.ReceivedAt < recovery);
            notes.Add($"{inside} requests inside the window");
            if (side == Side.ErrorReporting && inside > 0)
            {
                problems.Add($"{inside} requests inside the rate-limit window");
            }
        }

        return Count(scenario, side, PacedReports, child.Ids, server, recovery, notes, problems, child.LastReport, recovery is { } r ? child.AcceptedIdsBefore(r) : null);
    }

    /// <summary>
    /// 200 reports, one every 20 ms, with a cache and nothing listening; SIGKILL once they are reported (and, for
    /// ErrorReporting, in its cache; for the SDK, once its cache stopped changing for 1 s); then the server starts and a
    /// second child with the same cache directory only initialises and flushes.
    /// </summary>
    private static async Task<Row> KilledAsync(Scenario scenario, Side side, RunSettings settings)
    {
        var port = FreePort();
        var key = Guid.NewGuid().ToString("N");
        var dsn = $"http://{key}@127.0.0.1:{port}/42";
        using var cache = new TemporaryDirectory();
        var notes = new List<string>();
        var problems = new List<string>();

        IReadOnlyList<string> returned;
        int cachedAtKill;
        using (var first = ChildProcess.Start(new ChildOptions
        {
            Side = side,
            Dsn = dsn,
            Cache = cache.Path,
            Count = KilledReports,
            IntervalMilliseconds = (int)KilledInterval.TotalMilliseconds,
            WaitForKill = true,
        }))
        {
            await first.WaitForLineAsync("ready", s_childReady);
            await first.WaitForLineAsync("reported:", s_childDone);
            if (side == Side.ErrorReporting)
            {
                var accepted = first.AcceptedIds.Count;
                if (!await PollAsync(() => cache.EnvelopeFiles() >= accepted, s_cacheBound))
                {
                    problems.Add($"only {cache.EnvelopeFiles()} of {accepted} accepted reports in the cache after {s_cacheBound.TotalSeconds:0} s");
                }
            }
            else
            {
                await UntilStableAsync(cache.EnvelopeFiles, TimeSpan.FromSeconds(1), s_cacheBound);
            }

            cachedAtKill = cache.EnvelopeFiles();
            first.Kill();
            returned = first.Ids;
        }

        await using var server = await SentryTestServer.StartAsync(new SentryTestServerOptions { Port = port, PublicKey = key });
        var recovery = DateTimeOffset.UtcNow;
        using var second = ChildProcess.Start(new ChildOptions { Side = side, Dsn = dsn, Cache = cache.Path, DeliverOnly = true });
        await second.WaitForLineAsync("ready", s_childReady);
        await FinishAsync(scenario, side, second, server, settings, notes, problems, returned);
        notes.Add($"cache files at the kill: {cachedAtKill}, after the restart: {cache.EnvelopeFiles()}");
        return Count(scenario, side, KilledReports, returned, server, recovery, notes, problems, backlog: [.. returned.Where(id => id != SentryId.Empty.ToString())]);
    }

    /// <summary>10,000 fresh exceptions reported from 8 threads at once against a healthy server; timed from the first report.</summary>
    private static async Task<Row> LoadAsync(Scenario scenario, Side side, RunSettings settings, int? queue)
    {
        await using var server = await SentryTestServer.StartAsync();
        using var child = ChildProcess.Start(new ChildOptions
        {
            Side = side,
            Dsn = server.Dsn,
            Count = LoadReports,
            Threads = LoadThreads,
            Queue = queue,
        });
        await child.WaitForLineAsync("ready", s_childReady);
        var firstReport = await child.WaitForStartAsync(s_childReady);
        var notes = new List<string>();
        var problems = new List<string>();
        notes.Add($"calls took {await child.WaitForLineAsync("calls:", s_childDone)} s");
        await FinishAsync(scenario, side, child, server, settings, notes, problems);
        notes.Add("s from the first report");
        return Count(scenario, side, LoadReports, child.Ids, server, firstReport, notes, problems, child.LastReport);
    }

    private static ChildOptions Paced(Side side, string dsn, string? cache) => new()
    {
        Side = side,
        Dsn = dsn,
        Cache = cache,
        Count = PacedReports,
        IntervalMilliseconds = (int)PacedInterval.TotalMilliseconds,
    };

    /// <summary>
    /// Waits for the child's flush, then until every returned id arrived, or nothing arrived for the quiet period, or
    /// the settle bound passed; then closes the child (its SDK flushes for ShutdownTimeout on the way out).
    /// </summary>
    private static async Task FinishAsync(Scenario scenario, Side side, ChildProcess child, SentryTestServer server, RunSettings settings, List<string> notes, List<string> problems, IReadOnlyList<string>? returnedElsewhere = null)
    {
        var flushed = (await child.WaitForLineAsync("flushed:", s_childDone)).Split(' ');
        notes.Add(side == Side.Sdk
            ? $"FlushAsync(10 s) returned after {flushed[1]} s"
            : $"FlushAsync(10 s) {flushed[0].ToLowerInvariant()} after {flushed[1]} s");
        if (side == Side.ErrorReporting && scenario.FlushWithinTimeout && flushed[0] != bool.TrueString)
        {
            problems.Add("FlushAsync(10 s) returned false");
        }

        var quietSince = DateTime.UtcNow;
        var deadline = quietSince + settings.SettleBound;
        var seen = server.Events.Count;
        while (DateTime.UtcNow < deadline)
        {
            var expected = (returnedElsewhere ?? child.AcceptedIds).Where(id => id != SentryId.Empty.ToString()).ToHashSet();
            var events = server.Events;
            if (expected.IsSubsetOf(events.Select(e => e.EventId ?? "")))
            {
                break;
            }

            if (events.Count != seen)
            {
                seen = events.Count;
                quietSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - quietSince >= settings.QuietPeriod)
            {
                break;
            }

            await Task.Delay(100);
        }

        await child.CloseAsync(s_childClose);
    }

    private static Row Count(Scenario scenario, Side side, int reported, IReadOnlyList<string> returned, SentryTestServer server, DateTimeOffset? recovery, List<string> notes, List<string> problems, DateTimeOffset? lastReport = null, IReadOnlyList<string>? backlog = null)
    {
        var empty = SentryId.Empty.ToString();
        var accepted = returned.Where(id => id != empty).ToHashSet();
        var events = server.Events;
        var received = events.GroupBy(e => e.EventId ?? "").ToDictionary(g => g.Key, g => g.Count());
        var delivered = accepted.Count(received.ContainsKey);
        var duplicates = received.Where(r => accepted.Contains(r.Key)).Sum(r => r.Value - 1);
        var unexpected = received.Where(r => !accepted.Contains(r.Key)).Sum(r => r.Value);
        var lastDelivery = events.Where(e => e.EventId is { } id && accepted.Contains(id)).Select(e => (DateTimeOffset?)e.Envelope.ReceivedAt).Max();
        double? seconds = lastDelivery is { } last && recovery is { } from ? Math.Max(0, (last - from).TotalSeconds) : null;
        if (backlog is { Count: > 0 } && recovery is { } recovered)
        {
            var before = backlog.ToHashSet();
            var backlogDelivered = events.Where(e => e.EventId is { } id && before.Contains(id)).ToList();
            notes.Add(backlogDelivered.Count == 0
                ? $"backlog (accepted before recovery): 0 of {before.Count} delivered"
                : string.Create(CultureInfo.InvariantCulture, $"backlog (accepted before recovery): {backlogDelivered.Select(e => e.EventId).Distinct().Count()} of {before.Count} delivered, the last {Math.Max(0, (backlogDelivered.Max(e => e.Envelope.ReceivedAt) - recovered).TotalSeconds):0.00} s after recovery"));
        }

        if (lastDelivery is { } lastDelivered && lastReport is { } lastReported)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"last delivery {Math.Max(0, (lastDelivered - lastReported).TotalSeconds):0.00} s after the last report"));
        }

        if (unexpected > 0)
        {
            notes.Add($"{unexpected} events received with ids no call returned");
        }

        if (side == Side.ErrorReporting)
        {
            if (returned.Count != reported)
            {
                problems.Add($"{returned.Count} ids returned for {reported} reports");
            }

            if (scenario.EveryReportAccepted && accepted.Count != reported)
            {
                problems.Add($"{reported - accepted.Count} reports not accepted");
            }

            if (delivered != accepted.Count)
            {
                problems.Add($"{accepted.Count - delivered} accepted reports lost");
            }

            if (duplicates > 0 || unexpected > 0)
            {
                problems.Add($"{duplicates} duplicates, {unexpected} unexpected events");
            }
        }

        return new Row
        {
            Scenario = scenario,
            Side = side,
            Reported = reported,
            Accepted = accepted.Count,
            Delivered = delivered,
            Duplicates = duplicates,
            Unexpected = unexpected,
            SecondsToLastDelivery = seconds,
            Notes = notes,
            Problems = problems,
        };
    }

    private static async Task<bool> PollAsync(Func<bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Waits until <paramref name="value"/> has not changed for <paramref name="stable"/> (at most <paramref name="bound"/>).</summary>
    private static async Task UntilStableAsync(Func<int> value, TimeSpan stable, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        var last = value();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - since < stable)
        {
            await Task.Delay(50);
            var now = value();
            if (now != last)
            {
                last = now;
                since = DateTime.UtcNow;
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Answers 429 to every request in the window that the first request opens.</summary>
    private sealed class RateLimitWindow(TimeSpan length)
    {
        private readonly object _gate = new();

        public ReceivedRequestInfo? First { get; private set; }

        public FaultResponse? Answer(ReceivedRequestInfo request)
        {
            lock (_gate)
            {
                First ??= request;
                var left = First.ReceivedAt + length - request.ReceivedAt;
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }

                var seconds = ((int)Math.Ceiling(left.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return FaultResponse.RateLimited($"{seconds}:error:organization", retryAfter: seconds);
            }
        }
    }

    /// <summary>A cache directory of one run, deleted afterwards.</summary>
    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "errorreporting-delivery-faults", Guid.NewGuid().ToString("N"));

        /// <summary>Counts the envelope files under the directory (ErrorReporting's <c>ErrorReporting/&lt;hash&gt;/</c>, the SDK's <c>Sentry/&lt;hash&gt;/</c> and its <c>__processing</c>).
        /// Returns -1 when a folder vanished during the count (the SDK moves files between folders).</summary>
        public int EnvelopeFiles()
        {
            try
            {
                return Directory.Exists(Path) ? Directory.EnumerateFiles(Path, "*.envelope", SearchOption.AllDirectories).Count() : 0;
            }
            catch (IOException)
            {
                return -1;
            }
        }

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
