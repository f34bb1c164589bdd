using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ErrorReporting.Testing;

namespace ErrorReporting.DeliveryFaults;

/// <summary>A row pair of the table: the same script, run once per <see cref="Side"/>.</summary>
/// <param name="Name">The name for <c>--scenario</c>.</param>
/// <param name="Title">The first column of the table.</param>
/// <param name="EveryReportAccepted">Whether ErrorReporting promises to accept every report here (its queue never fills, no rate limit refuses it).</param>
/// <param name="FlushWithinTimeout">
/// Whether ErrorReporting's <c>FlushAsync(10 s)</c> must return <see langword="true"/> here. Not where the engine's
/// pacing makes delivery take longer than 10 s by design (after 5xx answers the next request waits 1, 2, 4, 8, 16 s…;
/// a restart sends 200 cached envelopes 100 ms apart, 20 s), nor for 10,000 reports, whose delivery time depends on
/// the machine: there a flush returning <see langword="false"/> at its timeout is correct, and the parent keeps
/// counting after it.
/// </param>
/// <param name="Run">Runs one side.</param>
internal sealed record Scenario(string Name, string Title, bool EveryReportAccepted, bool FlushWithinTimeout, Func<Scenario, Side, RunSettings, Task<Row>> Run);

/// <summary>How long the parent waits for a run to settle after the child's flush returned.</summary>
/// <param name="QuietPeriod">The SDK's side: stop waiting once no event arrived for this long (what it has not sent by then it has dropped).</param>
/// <param name="SettleBound">The SDK's side: stop waiting after this long in any case.</param>
/// <param name="EngineQuietPeriod">
/// ErrorReporting's side: stop waiting once no request arrived for this long. Longer than the engine's longest probe
/// delay (60 s), since it keeps what got no answer and probes again.
/// </param>
/// <param name="EngineSettleBound">ErrorReporting's side: stop waiting after this long in any case.</param>
internal sealed record RunSettings(TimeSpan QuietPeriod, TimeSpan SettleBound, TimeSpan EngineQuietPeriod, TimeSpan EngineSettleBound);

/// <summary>
/// The scripts. Every run starts its own <see cref="SentryTestServer"/> (or none yet, for "refused") and its own
/// child process; the parent injects the faults, counts, and judges ErrorReporting's rows against the promises of
/// docs/delivery.md (the SDK's rows are measured, not judged).
/// </summary>
internal static class Scenarios
{
    public const int PacedReports = 50;
    public const int KilledReports = 200;
    public const int LoadReports = 10_000;
    public const int LoadThreads = 8;
    public const int ServerErrors = 5;
    public const int LongOutageReports = 140;
    public const int FloodTransactions = 2_000;
    public const int ErrorsAfterFlood = 20;
    public const int FloodQueue = 100;

    public static readonly TimeSpan PacedInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan KilledInterval = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan LongOutageInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RateLimit = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan LongOutage = TimeSpan.FromSeconds(60);

    /// <summary>How long the server takes to answer in the "remote" errors-first row: a round trip to a distant Sentry, not a loopback.</summary>
    public static readonly TimeSpan RemoteServerDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The engine's probe schedule while a server fails (docs/delivery.md): the first retry after about 1 s, doubling,
    /// capped at 60 s, each delay drawn from [75 %, 100 %] of its step.
    /// </summary>
    public static readonly TimeSpan FirstRetryStep = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestRetryStep = TimeSpan.FromSeconds(60);
    public const double JitterFloor = 0.75;

    /// <summary>
    /// How much earlier than its shortest delay (<see cref="JitterFloor"/> of its step) a probe may arrive at the server:
    /// clock granularity only. The server stamps a request when it arrives; the engine waits from the failure, which
    /// comes after that stamp, so a probe can only arrive later than its delay, not earlier.
    /// </summary>
    public static readonly TimeSpan ProbeEarlySlack = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How much later than its longest delay (its whole step) a probe may arrive: the failed request's answer, the
    /// engine's wake-up and the next request's way to the server, on a loaded 2-core machine.
    /// </summary>
    public static readonly TimeSpan ProbeLateSlack = TimeSpan.FromMilliseconds(500);

    /// <summary>The engine's pacing of a backlog after recovery (docs/delivery.md): one request at a time, at least this far apart.</summary>
    public static readonly TimeSpan BacklogSpacing = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How much closer than <see cref="BacklogSpacing"/> two backlog deliveries may arrive at the server (and
    /// 2 × <see cref="BacklogSpacing"/> three, (n − 1) × <see cref="BacklogSpacing"/> n). The engine paces when a send
    /// starts; the server stamps its arrival, which lags by the request's way there: a gap shrinks by as much as the
    /// earlier request was late (87 ms seen at a load average of 12 on 2 cores; 22 and 27 ms gaps in the sigkill row,
    /// after a gap as much longer). See <see cref="JudgeBacklogSpacing"/>.
    /// </summary>
    public static readonly TimeSpan BacklogSpacingSlack = TimeSpan.FromMilliseconds(30);

    private static readonly TimeSpan s_childReady = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_childDone = TimeSpan.FromSeconds(300);
    private static readonly TimeSpan s_childClose = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_cacheBound = TimeSpan.FromSeconds(30);

    /// <summary>Reports whose id line the parent read within this long of a window's edge are not judged by which side of the edge they fell on (the call returned a little earlier).</summary>
    private static readonly TimeSpan s_edgeSlack = TimeSpan.FromSeconds(1);

    private static readonly string s_empty = SentryId.Empty.ToString();

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("refused", "connection refused for 3 s, no cache", true, true, (s, side, settings) => RefusedAsync(s, side, settings, withCache: false)),
        new("refused-cache", "connection refused for 3 s, with cache", true, true, (s, side, settings) => RefusedAsync(s, side, settings, withCache: true)),
        new("503", "five 503s, then 200", true, false, (s, side, settings) => ServerErrorsAsync(s, side, settings, 503)),
        new("500", "five 500s, then 200", true, false, (s, side, settings) => ServerErrorsAsync(s, side, settings, 500)),
        new("429", "429 with X-Sentry-Rate-Limits and Retry-After: 3, for 3 s", false, true, RateLimitedAsync),
        new("503-60s", "503 to every request for 60 s", true, false, (s, side, settings) => LongOutageAsync(s, side, settings, FaultResponse.Status(503))),
        new("closed-60s", "every connection closed without an answer for 60 s", true, false, (s, side, settings) => LongOutageAsync(s, side, settings, FaultResponse.CloseConnection())),
        new("sigkill", "SIGKILL with cache after 200 paced reports while down, then a restart", true, false, KilledAsync),
        new("errors-first", "2,000 transactions, then 20 errors; MaxQueueItems 100, TracesSampleRate 1", true, true, (s, side, settings) => ErrorsFirstAsync(s, side, settings, serverDelay: null)),
        new("errors-first-remote", "the same, the server answering each request after 100 ms", true, true, (s, side, settings) => ErrorsFirstAsync(s, side, settings, RemoteServerDelay)),
        new("load-20000", "10,000 reports from 8 threads, queues at 20,000", true, false, (s, side, settings) => LoadAsync(s, side, settings, queue: 20_000)),
        new("load-default", "10,000 reports from 8 threads, default queues", false, false, (s, side, settings) => LoadAsync(s, side, settings, queue: null)),
    ];

    /// <summary>
    /// The most requests the probe schedule allows to a server that keeps failing for <paramref name="window"/>,
    /// counting the first: each delay at its shortest (75 % of its step).
    /// </summary>
    public static int MaxProbes(TimeSpan window)
    {
        var count = 1;
        var at = TimeSpan.Zero;
        var step = FirstRetryStep;
        while (true)
        {
            at += step * JitterFloor;
            if (at >= window)
            {
                return count;
            }

            count++;
            step = step * 2 < LongestRetryStep ? step * 2 : LongestRetryStep;
        }
    }

    /// <summary>The probe schedule's step <paramref name="gap"/> (0 for the delay after the first failure): 1 s, doubling, at most 60 s.</summary>
    public static TimeSpan RetryStep(int gap)
    {
        var step = FirstRetryStep;
        for (var i = 0; i < gap && step < LongestRetryStep; i++)
        {
            step *= 2;
        }

        return step < LongestRetryStep ? step : LongestRetryStep;
    }

    /// <summary>
    /// Judges the gaps between consecutive requests to a failing server, <paramref name="probes"/> being their arrival
    /// times at the server from the first request after the fault began to the first one answered again (when there
    /// was one): gap k (from request k + 1 to request k + 2) must lie in
    /// [<see cref="JitterFloor"/> × step k − <see cref="ProbeEarlySlack"/>, step k + <see cref="ProbeLateSlack"/>],
    /// step k = <see cref="RetryStep"/>(k). Returns one problem per gap outside its range.
    /// </summary>
    public static List<string> JudgeProbeGaps(IReadOnlyList<DateTimeOffset> probes)
    {
        var problems = new List<string>();
        for (var k = 0; k + 1 < probes.Count; k++)
        {
            var step = RetryStep(k);
            var earliest = (step * JitterFloor) - ProbeEarlySlack;
            var latest = step + ProbeLateSlack;
            var gap = probes[k + 1] - probes[k];
            if (gap < earliest || gap > latest)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"probe gap {k} (request {k + 1} to {k + 2} to the failing server) {gap.TotalSeconds:0.000} s, the schedule allows {earliest.TotalSeconds:0.000}–{latest.TotalSeconds:0.000} s (step {step.TotalSeconds:0} s)"));
            }
        }

        return problems;
    }

    /// <summary>"probe gaps …": the measured gaps between the requests to the failing server, in seconds.</summary>
    public static string ProbeGapsNote(IReadOnlyList<DateTimeOffset> probes)
        => "probe gaps " + (probes.Count < 2
            ? "none"
            : string.Join(", ", Enumerable.Range(0, probes.Count - 1).Select(k => (probes[k + 1] - probes[k]).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture))) + " s");

    /// <summary>
    /// Judges the pacing of a backlog after recovery, <paramref name="deliveries"/> being the arrival times at the
    /// server of the envelopes that waited through the failure, from the <paramref name="from"/>th (0-based) on. A gap
    /// between consecutive ones must be at least <see cref="BacklogSpacing"/> − <see cref="BacklogSpacingSlack"/>
    /// (70 ms), or, when the earlier one arrived late (its own send paced, its stamp not), the gap before it and this
    /// one together at least 2 × <see cref="BacklogSpacing"/> − <see cref="BacklogSpacingSlack"/> (170 ms): two sends
    /// at once after a paced one fail either way. And n of them span at least (n − 1) × <see cref="BacklogSpacing"/> −
    /// <see cref="BacklogSpacingSlack"/>, which catches a pacing merely too short. Returns a problem per rule broken.
    /// </summary>
    public static List<string> JudgeBacklogSpacing(IReadOnlyList<DateTimeOffset> deliveries, int from = 0)
    {
        var problems = new List<string>();
        var sorted = deliveries.Order().Skip(from).ToList();
        if (sorted.Count < 2)
        {
            return problems;
        }

        var least = BacklogSpacing - BacklogSpacingSlack;
        var leastTwo = (BacklogSpacing * 2) - BacklogSpacingSlack;
        var close = Enumerable.Range(0, sorted.Count - 1)
            .Select(i => (Index: i, Gap: sorted[i + 1] - sorted[i], Two: i > 0 ? sorted[i + 1] - sorted[i - 1] : (TimeSpan?)null))
            .Where(g => g.Gap < least && !(g.Two >= leastTwo))
            .ToList();
        if (close.Count > 0)
        {
            var (index, gap, two) = close[0];
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{close.Count} of {sorted.Count - 1} gaps between backlog deliveries under {least.TotalMilliseconds:0} ms, not after a late one (the first: delivery {index + from + 1} to {index + from + 2}, {gap.TotalMilliseconds:0} ms{(two is { } t ? string.Create(CultureInfo.InvariantCulture, $", {t.TotalMilliseconds:0} ms with the gap before it, under {leastTwo.TotalMilliseconds:0}") : "")})"));
        }

        var span = sorted[^1] - sorted[0];
        var shortest = (BacklogSpacing * (sorted.Count - 1)) - BacklogSpacingSlack;
        if (span < shortest)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"backlog deliveries {from + 1} to {from + sorted.Count} {span.TotalSeconds:0.000} s apart, the pacing needs at least {shortest.TotalSeconds:0.000} s"));
        }

        return problems;
    }

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

        return Count(scenario, side, server, notes, problems, TallyOf(child, PacedReports, recovery) with
        {
            PacedBacklog = true,
            Requests = "– (nothing listens)",
            ExpectedClientReports = NoDiscards,
        });
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
        await FinishAsync(scenario, side, child, server, settings, notes, problems, discarded: () => MetServerError(server, child.AcceptedIds));

        var requests = server.Requests.OrderBy(r => r.Sequence).ToList();
        var failing = requests.Where(r => r.StatusCode >= 500).ToList();
        var recovery = requests.Skip(ServerErrors).FirstOrDefault(r => r.StatusCode == 200)?.ReceivedAt;
        if (side == Side.ErrorReporting && failing.Count > 0)
        {
            // The probe schedule: from the first 5xx to the first request answered again.
            var probes = requests.Where(r => r.Sequence >= failing[0].Sequence && (recovery is not { } answered || r.ReceivedAt <= answered)).Select(r => r.ReceivedAt).ToList();
            notes.Add(ProbeGapsNote(probes));
            problems.AddRange(JudgeProbeGaps(probes));
        }

        notes.Add($"{requests.Count} requests in all");
        var discarded = MetServerError(server, child.AcceptedIds);
        return Count(scenario, side, server, notes, problems, TallyOf(child, PacedReports, recovery) with
        {
            PacedBacklog = true,
            MetAnswer = discarded,
            Requests = failing.Count > 0 && recovery is { } back
                ? string.Create(CultureInfo.InvariantCulture, $"{failing.Count} in {(back - failing[0].ReceivedAt).TotalSeconds:0.0} s (until the first 200)")
                : $"{failing.Count}",
            ExpectedClientReports = SendErrors(discarded.Count),
        });
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
        await FinishAsync(scenario, side, child, server, settings, notes, problems, discarded: () => OpenedTheWindow(window, child.AcceptedIds));

        DateTimeOffset? recovery = null;
        var requests = "–";
        var refused = child.Ids.Count(id => id == s_empty);
        if (window.First is { } first)
        {
            var end = first.ReceivedAt + RateLimit;
            recovery = end;
            var inside = server.Requests.Count(r => r.Sequence != first.Sequence && r.ReceivedAt >= first.ReceivedAt && r.ReceivedAt < end);
            requests = $"{inside} inside the window (after the 429 that opened it)";
            if (side == Side.ErrorReporting)
            {
                if (inside > 0)
                {
                    problems.Add($"{inside} requests inside the rate-limit window");
                }

                // Refused at enqueue exactly while the limit holds: every report well inside the window, none outside it.
                var times = child.IdTimes;
                var acceptedInside = times.Count(t => t.Id != s_empty && t.At >= first.ReceivedAt + s_edgeSlack && t.At < end);
                var refusedOutside = times.Count(t => t.Id == s_empty && (t.At < first.ReceivedAt || t.At >= end + s_edgeSlack));
                if (acceptedInside > 0)
                {
                    problems.Add($"{acceptedInside} reports accepted inside the window");
                }

                if (refusedOutside > 0)
                {
                    problems.Add($"{refusedOutside} reports refused outside the window");
                }

                if (refused == 0)
                {
                    problems.Add("no report refused inside the window");
                }
            }

            notes.Add($"{refused} reports refused (SentryId.Empty)");
        }

        return Count(scenario, side, server, notes, problems, TallyOf(child, PacedReports, recovery) with
        {
            MetAnswer = OpenedTheWindow(window, child.AcceptedIds),
            Requests = requests,
            ExpectedClientReports = refused == 0 ? NoDiscards : new Dictionary<(string, string), long> { [("ratelimit_backoff", "error")] = refused },
        });
    }

    /// <summary>
    /// From the first request on, for 60 s, every request gets <paramref name="fault"/> (a 503, or the connection closed
    /// without an answer); 140 messages, one every 500 ms, so that reports go on through the outage and for 10 s after it.
    /// </summary>
    private static async Task<Row> LongOutageAsync(Scenario scenario, Side side, RunSettings settings, FaultResponse fault)
    {
        await using var server = await SentryTestServer.StartAsync();
        var window = new FailingWindow(LongOutage, fault);
        server.Faults.Handler = window.Answer;
        using var child = ChildProcess.Start(new ChildOptions
        {
            Side = side,
            Dsn = server.Dsn,
            Count = LongOutageReports,
            IntervalMilliseconds = (int)LongOutageInterval.TotalMilliseconds,
        });
        await child.WaitForLineAsync("ready", s_childReady);
        var notes = new List<string>();
        var problems = new List<string>();
        await FinishAsync(scenario, side, child, server, settings, notes, problems, discarded: () => MetServerError(server, child.AcceptedIds));

        DateTimeOffset? recovery = null;
        var requests = "–";
        if (window.First is { } first)
        {
            recovery = first.ReceivedAt + LongOutage;
            var inside = server.Requests.Count(r => r.ReceivedAt >= first.ReceivedAt && r.ReceivedAt < recovery);
            var perMinute = inside / LongOutage.TotalMinutes;
            var bound = MaxProbes(LongOutage);
            requests = string.Create(CultureInfo.InvariantCulture, $"{perMinute:0.#} per minute ({inside} in {LongOutage.TotalSeconds:0} s)");
            if (side == Side.ErrorReporting && inside > bound)
            {
                problems.Add($"{inside} requests to the failing server in {LongOutage.TotalSeconds:0} s; the probe schedule allows at most {bound}");
            }

            var after = server.Requests.Where(r => r.ReceivedAt >= recovery).OrderBy(r => r.ReceivedAt).FirstOrDefault();
            if (after is not null)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"first request after the outage {(after.ReceivedAt - recovery.Value).TotalSeconds:0.0} s after its end"));
            }

            if (side == Side.ErrorReporting)
            {
                // The probe schedule: every request in the outage, then the first after it (the probe that finds the server back).
                var probes = server.Requests.Where(r => r.ReceivedAt >= first.ReceivedAt && (r.ReceivedAt < recovery || r == after)).Select(r => r.ReceivedAt).Order().ToList();
                notes.Add(ProbeGapsNote(probes));
                problems.AddRange(JudgeProbeGaps(probes));
            }
        }

        notes.Add($"{server.Requests.Count} requests in all");
        var discarded = MetServerError(server, child.AcceptedIds);
        return Count(scenario, side, server, notes, problems, TallyOf(child, LongOutageReports, recovery) with
        {
            PacedBacklog = true,
            MetAnswer = discarded,
            Requests = requests,
            ExpectedClientReports = SendErrors(discarded.Count),
        });
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
        return Count(scenario, side, server, notes, problems, new Tally
        {
            Reported = KilledReports,
            Returned = returned,
            Recovery = recovery,
            Backlog = [.. returned.Where(id => id != s_empty)],
            PacedBacklog = true,
            ColdBacklogStart = true,
            Requests = "– (nothing listens)",
            ExpectedClientReports = NoDiscards,
        });
    }

    /// <summary>
    /// Against a healthy server, with <c>TracesSampleRate = 1</c> and <c>MaxQueueItems = 100</c>: one warm-up exception
    /// (flushed, not counted), 2,000 finished transactions, then 20 fresh exceptions at once (issue 19: a flood of one
    /// kind must not refuse errors). With <paramref name="serverDelay"/>, every request is answered normally after it.
    /// </summary>
    private static async Task<Row> ErrorsFirstAsync(Scenario scenario, Side side, RunSettings settings, TimeSpan? serverDelay)
    {
        await using var server = await SentryTestServer.StartAsync();
        if (serverDelay is { } delay)
        {
            var slow = FaultResponse.Ok().WithDelay(delay);
            server.Faults.Handler = _ => slow;
        }

        using var child = ChildProcess.Start(new ChildOptions
        {
            Side = side,
            Dsn = server.Dsn,
            Count = ErrorsAfterFlood,
            Transactions = FloodTransactions,
            Traces = true,
            Queue = FloodQueue,
        });
        await child.WaitForLineAsync("ready", s_childReady);
        var warmup = await child.WaitForLineAsync("warmup:", s_childDone);
        await child.WaitForLineAsync("transactions:", s_childDone);
        var firstError = await child.WaitForStartAsync(s_childDone);
        var notes = new List<string>();
        var problems = new List<string>();
        await FinishAsync(scenario, side, child, server, settings, notes, problems);

        var transactions = server.Envelopes.Count(e => e.Items.Any(i => i.Type == "transaction"));
        var refusedTransactions = FloodTransactions - transactions;
        notes.Add($"transactions received: {transactions:N0} of {FloodTransactions:N0}");
        if (side == Side.ErrorReporting && refusedTransactions == 0)
        {
            problems.Add("no transaction was refused: the flood never filled its lane, so the row proves nothing");
        }

        return Count(scenario, side, server, notes, problems, new Tally
        {
            Reported = ErrorsAfterFlood,
            Returned = child.Ids,
            Recovery = firstError,
            LastReport = child.LastReport,
            Ignored = warmup,
            // Each refused transaction is also one span in the client report (its own; these have no child spans).
            ExpectedClientReports = refusedTransactions == 0 ? NoDiscards : new Dictionary<(string, string), long> { [("queue_overflow", "transaction")] = refusedTransactions, [("queue_overflow", "span")] = refusedTransactions },
        });
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
        var refused = child.Ids.Count(id => id == s_empty);
        return Count(scenario, side, server, notes, problems, new Tally
        {
            Reported = LoadReports,
            Returned = child.Ids,
            Recovery = firstReport,
            LastReport = child.LastReport,
            ExpectedClientReports = refused == 0 ? NoDiscards : new Dictionary<(string, string), long> { [("queue_overflow", "error")] = refused },
        });
    }

    private static IReadOnlyDictionary<(string Reason, string Category), long> NoDiscards { get; } = new Dictionary<(string, string), long>();

    private static Dictionary<(string Reason, string Category), long> SendErrors(int count)
        => count == 0 ? [] : new() { [("send_error", "error")] = count };

    /// <summary>The accepted ids of envelopes the server answered with a 5xx.</summary>
    private static HashSet<string> MetServerError(SentryTestServer server, IReadOnlyList<string> accepted)
    {
        var ids = accepted.ToHashSet();
        return [.. server.Requests.Where(r => r.StatusCode >= 500 && r.EventId is { } id && ids.Contains(id)).Select(r => r.EventId!)];
    }

    /// <summary>The accepted id of the envelope whose 429 opened the rate-limit window (later requests inside it break the rules or, for the SDK, carry only its client report).</summary>
    private static HashSet<string> OpenedTheWindow(RateLimitWindow window, IReadOnlyList<string> accepted)
        => window.First is { EventId: { } id } && accepted.Contains(id) ? [id] : [];

    /// <summary>What a paced row counts of its child: the ids it returned, the reports made before <paramref name="recovery"/> (the backlog), its last report.</summary>
    private static Tally TallyOf(ChildProcess child, int reported, DateTimeOffset? recovery) => new()
    {
        Reported = reported,
        Returned = child.Ids,
        Recovery = recovery,
        LastReport = child.LastReport,
        Backlog = recovery is { } r ? child.AcceptedIdsBefore(r) : null,
    };

    private static ChildOptions Paced(Side side, string dsn, string? cache) => new()
    {
        Side = side,
        Dsn = dsn,
        Cache = cache,
        Count = PacedReports,
        IntervalMilliseconds = (int)PacedInterval.TotalMilliseconds,
    };

    /// <summary>
    /// Waits for the child's flush, then until every returned id arrived (but those <paramref name="discarded"/> by a
    /// 5xx or 429 answer), or the side's quiet period or bound passed (<see cref="RunSettings"/>); then closes the
    /// child (its SDK flushes for ShutdownTimeout on the way out).
    /// </summary>
    private static async Task FinishAsync(Scenario scenario, Side side, ChildProcess child, SentryTestServer server, RunSettings settings, List<string> notes, List<string> problems, IReadOnlyList<string>? returnedElsewhere = null, Func<HashSet<string>>? discarded = null)
    {
        var flushed = (await child.WaitForLineAsync("flushed:", s_childDone)).Split(' ');
        notes.Add(side == Side.Sdk
            ? $"FlushAsync(10 s) returned after {flushed[1]} s"
            : $"FlushAsync(10 s) {flushed[0].ToLowerInvariant()} after {flushed[1]} s");
        if (side == Side.ErrorReporting && scenario.FlushWithinTimeout && flushed[0] != bool.TrueString)
        {
            problems.Add("FlushAsync(10 s) returned false");
        }

        // The SDK has sent what it will send once its events stop; the engine keeps what got no answer and probes
        // again up to 60 s later, so its side waits for requests to stop instead.
        var engine = side == Side.ErrorReporting;
        var quiet = engine ? settings.EngineQuietPeriod : settings.QuietPeriod;
        var quietSince = DateTime.UtcNow;
        var deadline = quietSince + (engine ? settings.EngineSettleBound : settings.SettleBound);
        int Activity() => engine ? server.Requests.Count : server.Events.Count;
        var seen = Activity();
        while (DateTime.UtcNow < deadline)
        {
            var expected = (returnedElsewhere ?? child.AcceptedIds).Where(id => id != s_empty).ToHashSet();
            if (discarded is not null)
            {
                expected.ExceptWith(discarded());
            }

            if (expected.IsSubsetOf(server.Events.Select(e => e.EventId ?? "")))
            {
                break;
            }

            var now = Activity();
            if (now != seen)
            {
                seen = now;
                quietSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - quietSince >= quiet)
            {
                break;
            }

            await Task.Delay(100);
        }

        await child.CloseAsync(s_childClose);
    }

    private static Row Count(Scenario scenario, Side side, SentryTestServer server, List<string> notes, List<string> problems, Tally tally)
    {
        var accepted = tally.Returned.Where(id => id != s_empty).ToHashSet();
        var events = server.Events;
        var received = events.Where(e => e.EventId != tally.Ignored).GroupBy(e => e.EventId ?? "").ToDictionary(g => g.Key, g => g.Count());
        var delivered = accepted.Count(received.ContainsKey);
        var duplicates = received.Where(r => accepted.Contains(r.Key)).Sum(r => r.Value - 1);
        var unexpected = received.Where(r => !accepted.Contains(r.Key)).Sum(r => r.Value);
        var discarded = tally.MetAnswer.Count(id => !received.ContainsKey(id));
        var clientReports = server.ClientReports
            .SelectMany(r => r.DiscardedEvents)
            .GroupBy(d => (Reason: d.Reason ?? "?", Category: d.Category ?? "?"))
            .Select(g => (g.Key, Sum: g.Sum(d => d.Quantity)))
            .Where(g => g.Sum != 0)
            .ToDictionary(g => g.Key, g => g.Sum);
        var lastDelivery = events.Where(e => e.EventId is { } id && accepted.Contains(id)).Select(e => (DateTimeOffset?)e.Envelope.ReceivedAt).Max();
        double? seconds = lastDelivery is { } last && tally.Recovery is { } from ? Math.Max(0, (last - from).TotalSeconds) : null;
        var before = new HashSet<string>();
        if (tally.Backlog is { Count: > 0 } backlog)
        {
            before.UnionWith(backlog);
            before.ExceptWith(tally.MetAnswer);
        }

        if (before.Count > 0 && tally.Recovery is { } recovered)
        {
            var backlogDelivered = events.Where(e => e.EventId is { } id && before.Contains(id)).ToList();
            if (side == Side.ErrorReporting && tally.PacedBacklog)
            {
                problems.AddRange(JudgeBacklogSpacing([.. backlogDelivered.Select(e => e.Envelope.ReceivedAt)], tally.ColdBacklogStart ? 1 : 0));
            }

            notes.Add(backlogDelivered.Count == 0
                ? $"backlog (accepted before recovery, not discarded on an answer): 0 of {before.Count} delivered"
                : string.Create(CultureInfo.InvariantCulture, $"backlog (accepted before recovery, not discarded on an answer): {backlogDelivered.Select(e => e.EventId).Distinct().Count()} of {before.Count} delivered, the last {Math.Max(0, (backlogDelivered.Max(e => e.Envelope.ReceivedAt) - recovered).TotalSeconds):0.00} s after recovery{ClosestTwo(backlogDelivered.Select(e => e.Envelope.ReceivedAt))}"));
        }

        if (lastDelivery is { } lastDelivered && tally.LastReport is { } lastReported)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"last delivery {Math.Max(0, (lastDelivered - lastReported).TotalSeconds):0.00} s after the last report"));
        }

        if (unexpected > 0)
        {
            notes.Add($"{unexpected} events received with ids no call returned");
        }

        if (side == Side.ErrorReporting)
        {
            Judge(scenario, server, tally, accepted, delivered, discarded, duplicates, unexpected, received, clientReports, problems);
        }

        return new Row
        {
            Scenario = scenario,
            Side = side,
            Reported = tally.Reported,
            Accepted = accepted.Count,
            Delivered = delivered,
            DiscardedOnAnswer = discarded,
            Duplicates = duplicates,
            Unexpected = unexpected,
            SecondsToLastDelivery = seconds,
            Requests = tally.Requests,
            ClientReports = clientReports,
            Notes = notes,
            Problems = problems,
        };
    }

    /// <summary>", the closest two N ms apart" for two deliveries or more, otherwise nothing.</summary>
    private static string ClosestTwo(IEnumerable<DateTimeOffset> arrivals)
    {
        var sorted = arrivals.Order().ToList();
        return sorted.Count < 2
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $", the closest two {Enumerable.Range(0, sorted.Count - 1).Min(i => (sorted[i + 1] - sorted[i]).TotalMilliseconds):0} ms apart");
    }

    /// <summary>ErrorReporting's promises for every row (the scenario adds its own: windows, request rates, flush).</summary>
    private static void Judge(Scenario scenario, SentryTestServer server, Tally tally, HashSet<string> accepted, int delivered, int discarded, int duplicates, int unexpected, Dictionary<string, int> received, Dictionary<(string Reason, string Category), long> clientReports, List<string> problems)
    {
        if (tally.Returned.Count != tally.Reported)
        {
            problems.Add($"{tally.Returned.Count} ids returned for {tally.Reported} reports");
        }

        if (scenario.EveryReportAccepted && accepted.Count != tally.Reported)
        {
            problems.Add($"{tally.Reported - accepted.Count} reports not accepted");
        }

        if (delivered + discarded != accepted.Count)
        {
            problems.Add($"{accepted.Count - delivered - discarded} accepted reports lost (neither delivered nor discarded on a 5xx/429 answer)");
        }

        if (duplicates > 0 || unexpected > 0)
        {
            problems.Add($"{duplicates} duplicates, {unexpected} unexpected events");
        }

        // A 5xx or 429 discards the envelope: it is never sent again.
        var resent = tally.MetAnswer.Count(id => received.ContainsKey(id) || server.Requests.Count(r => r.EventId == id) > 1);
        if (resent > 0)
        {
            problems.Add($"{resent} envelopes sent again after a 5xx or 429");
        }

        if (tally.ExpectedClientReports is { } expected)
        {
            var same = expected.Count == clientReports.Count && expected.All(e => clientReports.TryGetValue(e.Key, out var n) && n == e.Value);
            if (!same)
            {
                problems.Add($"client reports {Row.DescribeClientReports(clientReports)}, expected {Row.DescribeClientReports(expected)}");
            }
        }
    }

    /// <summary>What one row counts, besides what the server received.</summary>
    private sealed record Tally
    {
        public required int Reported { get; init; }

        /// <summary>Gets every id the reporting calls returned (<see cref="SentryId.Empty"/> for refused ones).</summary>
        public required IReadOnlyList<string> Returned { get; init; }

        /// <summary>Gets when the fault ended (or, without one, when reporting began), for "s from recovery".</summary>
        public DateTimeOffset? Recovery { get; init; }

        public DateTimeOffset? LastReport { get; init; }

        /// <summary>Gets the ids accepted before recovery, or <see langword="null"/> when the row has no backlog.</summary>
        public IReadOnlyList<string>? Backlog { get; init; }

        /// <summary>Gets a value indicating whether ErrorReporting drains <see cref="Backlog"/> paced here (after a network failure, a 5xx or a restart with a cache; not after a 429).</summary>
        public bool PacedBacklog { get; init; }

        /// <summary>
        /// Gets a value indicating whether the backlog's first delivery is a fresh process's first request, paced from
        /// start-up, not from an answer: it reaches the server late (the HTTP client's first connection, its JIT), so
        /// the gap after it is not judged.
        /// </summary>
        public bool ColdBacklogStart { get; init; }

        /// <summary>Gets the accepted ids whose envelope a 5xx, or the 429 that opened a window, answered.</summary>
        public IReadOnlySet<string> MetAnswer { get; init; } = new HashSet<string>();

        public string Requests { get; init; } = "–";

        /// <summary>Gets the id of a report made before the script (a warm-up), not counted.</summary>
        public string? Ignored { get; init; }

        /// <summary>Gets exactly what ErrorReporting's client reports must add up to, by reason and category; <see langword="null"/>: not judged.</summary>
        public IReadOnlyDictionary<(string Reason, string Category), long>? ExpectedClientReports { get; init; }
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

    /// <summary>Answers every request in the window that the first request opens with one fault.</summary>
    private sealed class FailingWindow(TimeSpan length, FaultResponse fault)
    {
        private readonly object _gate = new();

        public ReceivedRequestInfo? First { get; private set; }

        public FaultResponse? Answer(ReceivedRequestInfo request)
        {
            lock (_gate)
            {
                First ??= request;
                return request.ReceivedAt < First.ReceivedAt + length ? fault : null;
            }
        }
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
