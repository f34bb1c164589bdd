using System.Runtime.CompilerServices;

namespace ErrorReporting.Reporting;

/// <summary>
/// Remembers which exception objects were reported, and with which event id, so the same object is never reported
/// twice (for example reported with <c>ReportHandled</c>, rethrown, then caught by the unhandled-exception hook).
/// </summary>
/// <remarks>
/// Two tiers keep the caller's thread allocation-free:
/// <list type="bullet">
/// <item>In flight (accepted, not yet processed by the worker): a fixed table indexed by the object's identity hash,
/// each bucket guarded by a sequence lock. Writing it is one compare-and-swap and three stores; a bucket that is busy
/// or taken by another in-flight exception is skipped, so two in-flight exceptions with colliding hashes are not both
/// remembered (the later one is then only deduplicated once processed).</item>
/// <item>Processed: a <see cref="ConditionalWeakTable{TKey, TValue}"/> filled by the worker (where allocating is fine);
/// it lives as long as the exception does and never keeps it alive.</item>
/// </list>
/// </remarks>
internal sealed class ReportedExceptions
{
    private const int MaxBuckets = 1 << 14;

    private readonly Bucket[] _buckets;
    private readonly int _mask;
    private readonly ConditionalWeakTable<Exception, StrongBox<Guid>> _processed = new();

    public ReportedExceptions(int maxInFlight)
    {
        var size = (int)Math.Min(MaxBuckets, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, maxInFlight * 2)));
        _buckets = new Bucket[size];
        _mask = size - 1;
    }

    /// <summary>
    /// Finds the id under which <paramref name="exception"/> was reported. For an <see cref="AggregateException"/>,
    /// an already reported inner exception counts as the aggregate being reported.
    /// </summary>
    public bool TryGetEventId(Exception exception, out Guid eventId)
    {
        if (TryGetOwn(exception, out eventId))
        {
            return true;
        }

        return exception is AggregateException aggregate && TryGetInner(aggregate, depth: 0, out eventId);
    }

    /// <summary>Records an exception about to be enqueued (caller's thread; allocation-free).</summary>
    public void RememberInFlight(Exception exception, Guid eventId)
    {
        ref var bucket = ref _buckets[RuntimeHelpers.GetHashCode(exception) & _mask];
        var version = Volatile.Read(ref bucket.Version);
        if ((version & 1) != 0 || bucket.Exception is not null || Interlocked.CompareExchange(ref bucket.Version, version + 1, version) != version)
        {
            return;
        }

        bucket.Exception = exception;
        bucket.EventId = eventId;
        Volatile.Write(ref bucket.Version, version + 2);
    }

    /// <summary>Forgets an in-flight exception whose entry was not enqueued after all.</summary>
    public void ForgetInFlight(Exception exception) => ClearBucket(exception);

    /// <summary>Moves an exception from the in-flight table to the processed table (worker thread).</summary>
    public void MarkProcessed(Exception exception, Guid eventId)
    {
        _processed.AddOrUpdate(exception, new StrongBox<Guid>(eventId));
        ClearBucket(exception);
    }

    private bool TryGetOwn(Exception exception, out Guid eventId)
    {
        ref var bucket = ref _buckets[RuntimeHelpers.GetHashCode(exception) & _mask];
        var version = Volatile.Read(ref bucket.Version);
        if ((version & 1) == 0 && ReferenceEquals(Volatile.Read(ref bucket.Exception), exception))
        {
            eventId = bucket.EventId;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref bucket.Version) == version)
            {
                return true;
            }
        }

        if (_processed.TryGetValue(exception, out var box))
        {
            eventId = box.Value;
            return true;
        }

        eventId = default;
        return false;
    }

    private bool TryGetInner(AggregateException aggregate, int depth, out Guid eventId)
    {
        eventId = default;
        if (depth > 8)
        {
            return false;
        }

        var inner = aggregate.InnerExceptions;
        for (var i = 0; i < inner.Count && i < 100; i++)
        {
            if (TryGetOwn(inner[i], out eventId) || (inner[i] is AggregateException nested && TryGetInner(nested, depth + 1, out eventId)))
            {
                return true;
            }
        }

        return false;
    }

    private void ClearBucket(Exception exception)
    {
        ref var bucket = ref _buckets[RuntimeHelpers.GetHashCode(exception) & _mask];
        while (true)
        {
            var version = Volatile.Read(ref bucket.Version);
            if (!ReferenceEquals(Volatile.Read(ref bucket.Exception), exception))
            {
                return;
            }

            if ((version & 1) == 0 && Interlocked.CompareExchange(ref bucket.Version, version + 1, version) == version)
            {
                bucket.Exception = null;
                bucket.EventId = default;
                Volatile.Write(ref bucket.Version, version + 2);
                return;
            }

            Thread.SpinWait(1);
        }
    }

    private struct Bucket
    {
        public int Version;
        public Exception? Exception;
        public Guid EventId;
    }
}
