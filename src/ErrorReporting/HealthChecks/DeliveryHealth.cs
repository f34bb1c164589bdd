using System.Globalization;
using System.Runtime.CompilerServices;
using ErrorReporting.Delivery;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Delivery.Sending;
using ErrorReporting.Delivery.Store;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ErrorReporting.HealthChecks;

/// <summary>
/// Judges whether errors reach Sentry from what a delivery engine saw (never from a request of its own), first match
/// wins:
/// <list type="table">
/// <item><term>failure status</term><description>the last answer was 401 or 403; unreachable (no response at all) for
/// <c>UnhealthyAfter</c> or longer; answering 5xx for <c>UnhealthyAfter</c> or longer; an error event dropped for <c>queue_overflow</c> or <c>cache_overflow</c> in the
/// last minute; the engine failed to start.</description></item>
/// <item><term>Degraded</term><description>unreachable for less than <c>UnhealthyAfter</c>; the last answer a 5xx, for less than that
/// (the server fails, the engine slows down); the last answer another 4xx but 429 (one envelope refused); a rate limit
/// in force; a lane of the delivery queue, or the offline cache, over 80 % full.</description></item>
/// <item><term>Healthy</term><description>nothing sent yet, the last envelope delivered, or a rate limit that has
/// ended.</description></item>
/// </list>
/// The description is one line saying what to do, built from key-free parts (the sender removes the DSN's keys from the
/// server's reason and exception texts before it publishes or logs them). The data holds the counts and times behind it.
/// </summary>
/// <remarks>
/// Everything it reads is published without a lock held by the sender: the counters, the queue's room and the store's
/// count are <see cref="Volatile"/> or <see cref="Interlocked"/> fields, the sender's <see cref="SendState"/> and the
/// rate limits' <see cref="RateLimitSnapshot"/> are immutable snapshots behind a volatile reference. It allocates only
/// the result: the task, the data dictionary with its boxed values, and the description (a constant while healthy).
/// Texts derived from a failure and the data keys of rate-limited categories are computed once per new failure or new
/// limits, not per call; numbers are formatted on the stack.
/// </remarks>
internal sealed class DeliveryHealth
{
    /// <summary>The fill, in percent, above which the queue or the offline cache makes the check Degraded.</summary>
    internal const int FullPercent = 80;

    internal const string NothingSentYet = "Nothing sent to Sentry yet; the delivery engine is ready.";
    internal const string Delivered = "Sentry accepted the last envelope.";
    internal const string RateLimitEnded = "Sentry's rate limit has ended; nothing was sent since.";
    internal const string NotStarted = "ErrorReporting's delivery engine has not started yet.";
    internal const string StartFailed = "ErrorReporting's delivery engine failed to start: nothing is sent (the ErrorReporting log says why).";
    internal const string Faulted = "ErrorReporting's delivery engine stopped after an error: nothing more is sent (the ErrorReporting log says why); restart the process.";

    /// <summary>How long an error event dropped for a full queue or cache keeps the check at its failure status.</summary>
    internal static readonly TimeSpan OverflowWindow = TimeSpan.FromMinutes(1);

    private const string RateLimitKeyPrefix = "rate_limit.";

    private static readonly object s_zero = 0L;
    private static readonly string[] s_droppedKeys = CreateDroppedKeys();

    private Failure? _failure;
    private LimitKeys? _limitKeys;

    /// <summary>Judges <paramref name="engine"/> now (by its clock).</summary>
    public HealthCheckResult Assess(DeliveryEngine engine, TimeSpan unhealthyAfter, HealthStatus failureStatus)
    {
        if (engine.Pipeline is not { } pipeline)
        {
            return engine.StartFailed
                ? new HealthCheckResult(failureStatus, StartFailed)
                : new HealthCheckResult(HealthStatus.Healthy, NotStarted);
        }

        var now = engine.Time.GetUtcNow();
        var state = pipeline.Sender.State;
        var counters = engine.Counters;
        var limits = engine.RateLimits.Announced;
        var failure = FailureOf(state);
        var data = Data(pipeline, counters, state, failure, limits, now);
        var (status, description) = Judge(pipeline, counters, state, failure, limits, now, unhealthyAfter, failureStatus);
        return new HealthCheckResult(status, description, exception: null, data);
    }

    /// <summary>Gets a duration as a person reads it: <c>42 s</c>, <c>4 min 12 s</c>, <c>2 h 5 min</c>.</summary>
    internal static string Duration(TimeSpan duration)
    {
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture, stackalloc char[32]);
        AppendDuration(ref text, duration);
        return text.ToStringAndClear();
    }

    private (HealthStatus Status, string Description) Judge(
        DeliveryPipeline pipeline,
        DeliveryCounters counters,
        SendState state,
        Failure? failure,
        RateLimitSnapshot limits,
        DateTimeOffset now,
        TimeSpan unhealthyAfter,
        HealthStatus failureStatus)
    {
        if (pipeline.Faulted)
        {
            return (failureStatus, Faulted);
        }

        var reason = failure?.Text ?? "no detail";
        var answered = state.UnreachableSince is null ? state.LastAnswerStatus : null;

        // The server refuses the DSN: nothing will get through until someone changes it.
        if (answered == 401)
        {
            return (failureStatus, $"Sentry rejected the DSN key ({reason}): the key is wrong or was revoked; check Sentry:Dsn (or SENTRY_DSN).");
        }

        if (answered == 403)
        {
            return (failureStatus, $"Sentry refused events for this DSN ({reason}): the project or its key is disabled; check the project in Sentry and Sentry:Dsn (or SENTRY_DSN).");
        }

        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture, stackalloc char[256]);
        if (state.UnreachableSince is { } since && now - since >= unhealthyAfter)
        {
            Unreachable(ref text, pipeline, reason, now - since);
            text.AppendLiteral(" waiting; check the network path to it (firewall, DNS, proxy).");
            return (failureStatus, text.ToStringAndClear());
        }

        if (answered >= 500 && state.ServerFailingSince is { } failingSince && now - failingSince >= unhealthyAfter)
        {
            text.AppendLiteral("Sentry at ");
            text.AppendFormatted(pipeline.Server);
            text.AppendLiteral(" has been failing for ");
            AppendDuration(ref text, now - failingSince);
            Discarded(ref text, reason, "every envelope that met it", counters, "; check the Sentry server's status (status.sentry.io, or your self-hosted Sentry).");
            return (failureStatus, text.ToStringAndClear());
        }

        if (counters.LastErrorOverflow is { } overflow && now - overflow < OverflowWindow)
        {
            text.AppendLiteral("Error events were dropped ");
            AppendDuration(ref text, now - overflow);
            text.AppendLiteral(" ago because the delivery queue or the offline cache was full (queue_overflow: ");
            AppendNumber(ref text, counters.Dropped(DiscardReason.QueueOverflow));
            text.AppendLiteral(", cache_overflow: ");
            AppendNumber(ref text, counters.Dropped(DiscardReason.CacheOverflow));
            text.AppendLiteral(" envelopes since start): raise MaxQueueItems or MaxCacheItems, or find what floods them.");
            return (failureStatus, text.ToStringAndClear());
        }

        if (state.UnreachableSince is { } unreachableSince)
        {
            Unreachable(ref text, pipeline, reason, now - unreachableSince);
            text.AppendLiteral(" kept and retried; ");
            text.AppendLiteral(failureStatus switch
            {
                HealthStatus.Unhealthy => "Unhealthy",
                HealthStatus.Degraded => "Degraded",
                _ => "Healthy",
            });
            text.AppendLiteral(" after ");
            AppendDuration(ref text, unhealthyAfter);
            text.AppendLiteral(".");
            return (HealthStatus.Degraded, text.ToStringAndClear());
        }

        if (answered >= 500)
        {
            text.AppendLiteral("Sentry at ");
            text.AppendFormatted(pipeline.Server);
            text.AppendLiteral(" is failing");
            Discarded(ref text, reason, "the envelope that met it", counters, " and the engine sends more slowly until it recovers.");
            return (HealthStatus.Degraded, text.ToStringAndClear());
        }

        if (answered is >= 400 and not 429)
        {
            text.AppendLiteral("Sentry refused the last envelope");
            Discarded(ref text, reason, "it", counters, "; later envelopes are still sent.");
            return (HealthStatus.Degraded, text.ToStringAndClear());
        }

        if (RateLimited(ref text, limits, now))
        {
            return (HealthStatus.Degraded, text.ToStringAndClear());
        }

        var queue = pipeline.Queue.Room;
        var lane = queue.Used(QueueLane.Bulk) > queue.Used(QueueLane.Errors) ? QueueLane.Bulk : QueueLane.Errors;
        if (IsOverFull(queue.Used(lane), queue.Capacity))
        {
            text.AppendLiteral("The delivery queue is ");
            AppendNumber(ref text, Percent(queue.Used(lane), queue.Capacity));
            text.AppendLiteral(" % full (");
            AppendNumber(ref text, queue.Used(lane));
            text.AppendLiteral(" of ");
            AppendNumber(ref text, queue.Capacity);
            text.AppendLiteral(lane == QueueLane.Errors
                ? " error events and sessions): they come faster than Sentry takes them; new ones are refused when it is full (raise MaxQueueItems, or find the flood)."
                : " transactions, logs and other bulk items): they come faster than Sentry takes them; new ones are refused when it is full (raise MaxQueueItems, or sample them).");
            return (HealthStatus.Degraded, text.ToStringAndClear());
        }

        if (pipeline.Store is DiskEnvelopeStore { IsOnDisk: true } cache && IsOverFull(cache.Count, cache.Capacity))
        {
            text.AppendLiteral("The offline cache is ");
            AppendNumber(ref text, Percent(cache.Count, cache.Capacity));
            text.AppendLiteral(" % full (");
            AppendNumber(ref text, cache.Count);
            text.AppendLiteral(" of ");
            AppendNumber(ref text, cache.Capacity);
            text.AppendLiteral(" envelopes): beyond MaxCacheItems the oldest are evicted, error events last.");
            return (HealthStatus.Degraded, text.ToStringAndClear());
        }

        // Nothing was appended: the handler rented nothing.
        return (HealthStatus.Healthy, answered switch
        {
            null => NothingSentYet,
            429 => RateLimitEnded,
            _ => Delivered,
        });
    }

    /// <summary>Starts the description of an unreachable server: where, for how long, what failed, how much waits.</summary>
    private static void Unreachable(ref DefaultInterpolatedStringHandler text, DeliveryPipeline pipeline, string reason, TimeSpan down)
    {
        text.AppendLiteral("Sentry at ");
        text.AppendFormatted(pipeline.Server);
        text.AppendLiteral(" has been unreachable for ");
        AppendDuration(ref text, down);
        text.AppendLiteral(" (");
        text.AppendFormatted(reason);
        text.AppendLiteral("): ");
        AppendNumber(ref text, pipeline.Queued);
        text.AppendLiteral(" envelope(s)");
    }

    /// <summary>Ends the description of an answer that discarded an envelope: the server's reason, the count, what follows.</summary>
    private static void Discarded(ref DefaultInterpolatedStringHandler text, string reason, string envelope, DeliveryCounters counters, string consequence)
    {
        text.AppendLiteral(" (");
        text.AppendFormatted(reason);
        text.AppendLiteral("): ");
        text.AppendFormatted(envelope);
        text.AppendLiteral(" was discarded (send_error: ");
        AppendNumber(ref text, counters.Dropped(DiscardReason.SendError));
        text.AppendLiteral(" since start)");
        text.AppendFormatted(consequence);
    }

    /// <summary>Describes the rate limits in force, if any: each category with the time left.</summary>
    private static bool RateLimited(ref DefaultInterpolatedStringHandler text, RateLimitSnapshot limits, DateTimeOffset now)
    {
        var any = false;
        if (limits.AllUntil > now)
        {
            text.AppendLiteral("Sentry rate-limits all categories (");
            AppendDuration(ref text, limits.AllUntil - now);
            text.AppendLiteral(" left");
            any = true;
        }

        foreach (var limit in limits.Categories)
        {
            if (limits.IsInForce(limit, now))
            {
                text.AppendLiteral(any ? "), " : "Sentry rate-limits ");
                text.AppendFormatted(limit.Key);
                text.AppendLiteral(" (");
                AppendDuration(ref text, limit.Value - now);
                text.AppendLiteral(" left");
                any = true;
            }
        }

        if (any)
        {
            text.AppendLiteral("): reports of these categories are dropped until then (ratelimit_backoff); check the project's quota and rate limits in Sentry.");
        }

        return any;
    }

    /// <summary>
    /// Appends a number formatted on the stack: the handler's generic <c>AppendFormatted&lt;T&gt;</c> boxes it in
    /// unoptimized (tier-0) code, which would make a call allocate more than its result until the JIT tiers it up.
    /// </summary>
    private static void AppendNumber(ref DefaultInterpolatedStringHandler text, long value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        text.AppendFormatted((ReadOnlySpan<char>)digits[..written]);
    }

    private static bool IsOverFull(long used, long capacity) => capacity > 0 && used * 100 > capacity * FullPercent;

    private static long Percent(long used, long capacity) => Math.Min(100, used * 100 / capacity);

    private static void AppendDuration(ref DefaultInterpolatedStringHandler text, TimeSpan duration)
    {
        var seconds = duration > TimeSpan.Zero ? (long)duration.TotalSeconds : 0;
        if (seconds < 60)
        {
            AppendNumber(ref text, seconds);
            text.AppendLiteral(" s");
        }
        else if (seconds < 3600)
        {
            AppendNumber(ref text, seconds / 60);
            text.AppendLiteral(" min");
            if (seconds % 60 != 0)
            {
                text.AppendLiteral(" ");
                AppendNumber(ref text, seconds % 60);
                text.AppendLiteral(" s");
            }
        }
        else
        {
            AppendNumber(ref text, seconds / 3600);
            text.AppendLiteral(" h");
            if (seconds / 60 % 60 != 0)
            {
                text.AppendLiteral(" ");
                AppendNumber(ref text, seconds / 60 % 60);
                text.AppendLiteral(" min");
            }
        }
    }

    private Dictionary<string, object> Data(DeliveryPipeline pipeline, DeliveryCounters counters, SendState state, Failure? failure, RateLimitSnapshot limits, DateTimeOffset now)
    {
        var data = new Dictionary<string, object>(16)
        {
            ["queued"] = Box(pipeline.Queued),
            ["cached"] = Box(pipeline.Store is DiskEnvelopeStore { IsOnDisk: true } cache ? cache.Count : 0),
            ["delivered"] = Box(counters.Delivered),
        };
        for (var reason = 0; reason < DiscardReasons.Count; reason++)
        {
            data[s_droppedKeys[reason]] = Box(counters.Dropped((DiscardReason)reason));
        }

        if (state.LastDeliveredAt is { } deliveredAt)
        {
            data["last_delivery"] = deliveredAt;
        }

        if (state.LastFailureAt is { } failedAt)
        {
            data["last_failure"] = failedAt;
            data["last_failure_status"] = state.LastFailureStatus;
            data["last_failure_reason"] = failure?.Text ?? string.Empty;
        }

        if (state.UnreachableSince is { } since)
        {
            data["unreachable_since"] = since;
        }

        if (limits.AllUntil > now || limits.Categories.Length > 0)
        {
            var keys = KeysOf(limits);
            if (limits.AllUntil > now)
            {
                data[keys.All] = limits.AllUntil;
            }

            var categories = limits.Categories;
            for (var i = 0; i < categories.Length; i++)
            {
                if (limits.IsInForce(categories[i], now))
                {
                    data[keys.Categories[i]] = categories[i].Value;
                }
            }
        }

        return data;
    }

    private static object Box(long value) => value == 0 ? s_zero : value;

    /// <summary>Gets the one-line text of the sender's last failure, computed once per failure.</summary>
    private Failure? FailureOf(SendState state)
    {
        if (state.LastFailure is not { } raw)
        {
            return null;
        }

        var cached = Volatile.Read(ref _failure);
        if (cached is not null && ReferenceEquals(cached.Raw, raw))
        {
            return cached;
        }

        var failure = new Failure(raw, OneLine(raw));
        Volatile.Write(ref _failure, failure);
        return failure;
    }

    /// <summary>Gets the data keys of the limited categories, computed once per new set of limits.</summary>
    private LimitKeys KeysOf(RateLimitSnapshot limits)
    {
        var cached = Volatile.Read(ref _limitKeys);
        if (cached is not null && ReferenceEquals(cached.Limits, limits))
        {
            return cached;
        }

        var categories = limits.Categories;
        var keys = new string[categories.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = RateLimitKeyPrefix + categories[i].Key;
        }

        var created = new LimitKeys(limits, RateLimitKeyPrefix + RateLimitSnapshot.All, keys);
        Volatile.Write(ref _limitKeys, created);
        return created;
    }

    /// <summary>
    /// Makes a failure's text fit a health description: one line, at most 300 characters. The sender has already
    /// removed the DSN's keys from it (<see cref="SecretRedactor.Redact(string, string[])"/>), as from its logs.
    /// </summary>
    internal static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 300 ? line : string.Concat(line.AsSpan(0, 299), "…");
    }

    private static string[] CreateDroppedKeys()
    {
        var keys = new string[DiscardReasons.Count];
        for (var reason = 0; reason < keys.Length; reason++)
        {
            keys[reason] = "dropped." + ((DiscardReason)reason).ToWireName();
        }

        return keys;
    }

    private sealed record Failure(string Raw, string Text);


    private sealed record LimitKeys(RateLimitSnapshot Limits, string All, string[] Categories);
}
