namespace ErrorReporting.Delivery.Accounting;

/// <summary>
/// The delivery engine's accounting, in envelopes of any kind (events, sessions, transactions, client reports…). Every
/// envelope offered to the engine ends in exactly one place, so that at a quiet moment
/// <c>reported + restored == delivered + dropped + queued</c> (queued is what the queue and the store hold, counted
/// by them). Discards are also kept per (reason, data category) until a client report carries them to Sentry.
/// Thread-safe; nothing here takes a lock that a send holds.
/// </summary>
internal sealed class DeliveryCounters
{
    private readonly long[] _dropped = new long[DiscardReasons.Count];
    private readonly Dictionary<(DiscardReason Reason, string Category), long> _pendingClientReport = [];
    private readonly TimeProvider _time;
    private long _reported;
    private long _delivered;
    private long _retries;
    private long _restored;
    private long _notCached;
    private long _lastErrorOverflowTicks;

    public DeliveryCounters(TimeProvider time) => _time = time;

    /// <summary>Gets the envelopes the SDK offered (accepted or refused at once).</summary>
    public long Reported => Volatile.Read(ref _reported);

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Gets the sends that got no response (refused, reset, DNS, timeout) and whose envelope is kept for another attempt.</summary>
    public long Retries => Volatile.Read(ref _retries);

    /// <summary>Gets the envelopes found in the offline cache at start-up, left by an earlier process.</summary>
    public long Restored => Volatile.Read(ref _restored);

    /// <summary>Gets the envelopes the offline cache could not write (disk full, directory not writable): kept in memory instead.</summary>
    public long NotCached => Volatile.Read(ref _notCached);

    /// <summary>Gets when an error event was last dropped because the queue or the offline cache was full, if ever.</summary>
    public DateTimeOffset? LastErrorOverflow
        => Volatile.Read(ref _lastErrorOverflowTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public long DroppedTotal
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _dropped.Length; i++)
            {
                total += Volatile.Read(ref _dropped[i]);
            }

            return total;
        }
    }

    public long Dropped(DiscardReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    public void Report() => Interlocked.Increment(ref _reported);

    /// <summary>
    /// Counts one dropped envelope, and (unless the server counted it) its items for the next client report: one per
    /// item in its category, and for transactions also their <paramref name="spans"/> (see <see cref="SpanCounts"/>).
    /// </summary>
    public void Drop(DiscardReason reason, ReadOnlySpan<string> categories, int spans = 0)
    {
        Interlocked.Increment(ref _dropped[(int)reason]);
        if (reason is DiscardReason.QueueOverflow or DiscardReason.CacheOverflow && categories.Contains(DataCategories.Error))
        {
            Volatile.Write(ref _lastErrorOverflowTicks, _time.GetUtcNow().UtcTicks);
        }

        if (!reason.IsClientReported())
        {
            return;
        }

        lock (_pendingClientReport)
        {
            foreach (var category in categories)
            {
                if (category != DataCategories.Internal)
                {
                    _pendingClientReport[(reason, category)] = _pendingClientReport.GetValueOrDefault((reason, category)) + 1;
                }
            }

            if (spans > 0)
            {
                _pendingClientReport[(reason, SpanCounts.Category)] = _pendingClientReport.GetValueOrDefault((reason, SpanCounts.Category)) + spans;
            }
        }
    }

    /// <summary>Counts items removed from an envelope that is still sent (an attachment of a limited category), for the next client report.</summary>
    public void DropItems(DiscardReason reason, ReadOnlySpan<string> categories)
    {
        lock (_pendingClientReport)
        {
            foreach (var category in categories)
            {
                _pendingClientReport[(reason, category)] = _pendingClientReport.GetValueOrDefault((reason, category)) + 1;
            }
        }
    }

    public void Deliver() => Interlocked.Increment(ref _delivered);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Restore(int count) => Interlocked.Add(ref _restored, count);

    public void NotCachedOne() => Interlocked.Increment(ref _notCached);

    /// <summary>Gets a value indicating whether discards wait for a client report.</summary>
    public bool HasPendingClientReport
    {
        get
        {
            lock (_pendingClientReport)
            {
                return _pendingClientReport.Count > 0;
            }
        }
    }

    /// <summary>Takes (and resets) the discards not yet sent in a client report, or <see langword="null"/> when there are none.</summary>
    public DiscardCount[]? TakeClientReport()
    {
        lock (_pendingClientReport)
        {
            if (_pendingClientReport.Count == 0)
            {
                return null;
            }

            var taken = _pendingClientReport.Select(p => new DiscardCount(p.Key.Reason, p.Key.Category, p.Value)).ToArray();
            _pendingClientReport.Clear();
            return taken;
        }
    }

    /// <summary>Puts back discards whose client report got no response (it is sent again; a report the server answered is never sent twice).</summary>
    public void RestoreClientReport(DiscardCount[] taken)
    {
        lock (_pendingClientReport)
        {
            foreach (var count in taken)
            {
                _pendingClientReport[(count.Reason, count.Category)] = _pendingClientReport.GetValueOrDefault((count.Reason, count.Category)) + count.Quantity;
            }
        }
    }
}

/// <summary>How many items of a data category were discarded for a reason: one entry of a client report.</summary>
internal readonly record struct DiscardCount(DiscardReason Reason, string Category, long Quantity);
