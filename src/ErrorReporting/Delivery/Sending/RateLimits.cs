using System.Globalization;

using ErrorReporting.Delivery.Accounting;

namespace ErrorReporting.Delivery.Sending;

/// <summary>
/// Sentry's rate limits for one DSN, as the server announces them (PROTOCOL.md §8.3): <c>X-Sentry-Rate-Limits</c> on
/// any response, 200 included; on a 429 without it, <c>Retry-After</c> for all categories, else 60 seconds. Limits are
/// kept per data category (<see cref="DataCategories"/>); an empty category list means all categories; of two limits
/// for one category the longer one holds. The <c>internal</c> category (client reports) is held back only by an
/// all-categories limit. Read on callers' threads without a lock while nothing is limited; the limits themselves are
/// also published as an immutable snapshot (<see cref="Announced"/>), so that readers outside the sender (the health
/// check) never take the lock.
/// </summary>
internal sealed class RateLimits
{
    internal static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest delay a server's value is read as. Relay announces at most 300 s; larger values come from other
    /// servers or garbage (<c>1e20</c> would overflow the clock's arithmetic), and are read as this.
    /// </summary>
    internal static readonly TimeSpan LongestDelay = TimeSpan.FromDays(366);

    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _until = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset _allUntil;

    // UTC ticks until which anything at all is limited; read without the lock on the caller's thread.
    private long _anyUntilTicks;

    // What _allUntil and _until hold, republished after every change.
    private RateLimitSnapshot _announced = RateLimitSnapshot.None;

    /// <summary>
    /// Applies the limits a response announces. Returns <see langword="true"/> when it announced any.
    /// </summary>
    public bool Update(int statusCode, string? rateLimitsHeader, string? retryAfterHeader, DateTimeOffset now)
    {
        if (!string.IsNullOrWhiteSpace(rateLimitsHeader))
        {
            return ApplyRateLimitsHeader(rateLimitsHeader, now);
        }

        if (statusCode == 429)
        {
            var delay = ParseRetryAfter(retryAfterHeader, now) ?? DefaultRetryAfter;
            Limit(category: null, now + delay);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Gets the time until which an envelope with items of <paramref name="categories"/> may not be sent (the latest
    /// limit of any of them), or <see langword="null"/> when it may be sent now.
    /// </summary>
    public DateTimeOffset? BlockedUntil(ReadOnlySpan<string> categories, DateTimeOffset now)
    {
        if (Volatile.Read(ref _anyUntilTicks) <= now.UtcTicks)
        {
            return null;
        }

        lock (_gate)
        {
            var until = _allUntil;
            foreach (var category in categories)
            {
                if (category != DataCategories.Internal && _until.TryGetValue(category, out var byCategory) && byCategory > until)
                {
                    until = byCategory;
                }
            }

            return until > now ? until : null;
        }
    }

    /// <summary>Gets a value indicating whether a limit was ever announced (read without a clock on every report).</summary>
    public bool MayBeActive => Volatile.Read(ref _anyUntilTicks) != 0;

    /// <summary>Gets a value indicating whether any limit holds.</summary>
    public bool IsAnyActive(DateTimeOffset now) => Volatile.Read(ref _anyUntilTicks) > now.UtcTicks;

    /// <summary>Gets a value indicating whether items of <paramref name="category"/> may not be sent now.</summary>
    public bool IsLimited(string category, DateTimeOffset now) => BlockedUntil([category], now) is not null;

    /// <summary>
    /// Gets every limit announced so far, ended or not: an immutable snapshot, replaced whenever a response announces
    /// limits. Reading it takes no lock and allocates nothing.
    /// </summary>
    public RateLimitSnapshot Announced => Volatile.Read(ref _announced);

    /// <summary>Gets the limits in force: the categories (<c>"all"</c> for an all-categories limit) and when each ends.</summary>
    public IReadOnlyList<KeyValuePair<string, DateTimeOffset>> Active(DateTimeOffset now)
    {
        if (!IsAnyActive(now))
        {
            return [];
        }

        var announced = Announced;
        var active = new List<KeyValuePair<string, DateTimeOffset>>();
        if (announced.AllUntil > now)
        {
            active.Add(new(RateLimitSnapshot.All, announced.AllUntil));
        }

        foreach (var limit in announced.Categories)
        {
            if (announced.IsInForce(limit, now))
            {
                active.Add(limit);
            }
        }

        return active;
    }

    /// <summary>Parses <c>Retry-After</c>: delta-seconds (integer or decimal) or an HTTP date.</summary>
    internal static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (Seconds(value) is { } delay)
        {
            return delay;
        }

        if (DateTimeOffset.TryParseExact(value.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return date <= now ? TimeSpan.Zero : date - now < LongestDelay ? date - now : LongestDelay;
        }

        return null;
    }

    /// <summary>Reads a non-negative number of seconds (integer or decimal), at most <see cref="LongestDelay"/>.</summary>
    private static TimeSpan? Seconds(string text)
        => double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && !double.IsNaN(seconds)
            ? seconds < LongestDelay.TotalSeconds ? TimeSpan.FromSeconds(seconds) : LongestDelay
            : null;

    private bool ApplyRateLimitsHeader(string header, DateTimeOffset now)
    {
        var applied = false;
        foreach (var rawLimit in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = rawLimit.Split(':');
            if (Seconds(fields[0]) is not { } delay)
            {
                continue;
            }

            var until = now + delay;
            var categories = fields.Length > 1 ? fields[1].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            if (categories.Length == 0)
            {
                Limit(category: null, until);
            }
            else
            {
                foreach (var category in categories)
                {
                    Limit(category, until);
                }
            }

            applied = true;
        }

        return applied;
    }

    private void Limit(string? category, DateTimeOffset until)
    {
        lock (_gate)
        {
            if (category is null)
            {
                if (until > _allUntil)
                {
                    _allUntil = until;
                }
            }
            else if (!_until.TryGetValue(category, out var existing) || until > existing)
            {
                _until[category] = until;
            }

            if (until.UtcTicks > _anyUntilTicks)
            {
                Volatile.Write(ref _anyUntilTicks, until.UtcTicks);
            }

            Volatile.Write(ref _announced, new RateLimitSnapshot(_allUntil, [.. _until]));
        }
    }
}

/// <summary>
/// The rate limits a server announced, ended or not, as <see cref="RateLimits"/> held them at one moment: the end of
/// the all-categories limit and, per category, the end of its longest limit. Immutable.
/// </summary>
internal sealed class RateLimitSnapshot(DateTimeOffset allUntil, KeyValuePair<string, DateTimeOffset>[] categories)
{
    /// <summary>The name an all-categories limit is given where limits are listed by category.</summary>
    public const string All = "all";

    public static readonly RateLimitSnapshot None = new(default, []);

    /// <summary>Gets the end of the all-categories limit (<see langword="default"/> when none was announced).</summary>
    public DateTimeOffset AllUntil => allUntil;

    /// <summary>Gets each limited category with the end of its longest limit.</summary>
    public ReadOnlySpan<KeyValuePair<string, DateTimeOffset>> Categories => categories;

    /// <summary>
    /// Gets a value indicating whether a category's limit holds at <paramref name="now"/> beyond the all-categories one
    /// (a category limit that ends before the all-categories limit adds nothing).
    /// </summary>
    public bool IsInForce(KeyValuePair<string, DateTimeOffset> categoryLimit, DateTimeOffset now)
        => categoryLimit.Value > now && categoryLimit.Value > allUntil;
}
