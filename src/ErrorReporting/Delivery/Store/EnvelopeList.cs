using ErrorReporting.Delivery.Queue;

namespace ErrorReporting.Delivery.Store;

/// <summary>
/// The waiting envelopes of a store in sequence order (the intake adds them in that order), with the counts the
/// engine reads. Thread-safe: the intake adds, the sender peeks and removes, the counters read.
/// </summary>
internal sealed class EnvelopeList
{
    private readonly LinkedList<PendingEnvelope> _envelopes = new();
    private readonly object _gate = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets the sequence of the oldest waiting envelope, or <see cref="long.MaxValue"/> when none waits.</summary>
    public long OldestSequence
    {
        get
        {
            lock (_gate)
            {
                return _envelopes.First?.Value.Sequence ?? long.MaxValue;
            }
        }
    }

    public void Add(PendingEnvelope envelope)
    {
        lock (_gate)
        {
            _envelopes.AddLast(envelope);
            _count = _envelopes.Count;
        }
    }

    public void PeekOldest(List<PendingEnvelope> into, int count)
    {
        into.Clear();
        lock (_gate)
        {
            for (var node = _envelopes.First; node is not null && into.Count < count; node = node.Next)
            {
                into.Add(node.Value);
            }
        }
    }

    /// <summary>Removes an envelope; returns <see langword="false"/> when it was not in the list.</summary>
    public bool Remove(PendingEnvelope envelope)
    {
        lock (_gate)
        {
            var removed = _envelopes.Remove(envelope);
            _count = _envelopes.Count;
            return removed;
        }
    }

    /// <summary>
    /// Removes and returns envelopes beyond <paramref name="capacity"/>, never one being sent: the oldest of the
    /// <see cref="QueueLane.Bulk"/> lane first, so that error events are evicted only when nothing else is left.
    /// </summary>
    public List<PendingEnvelope>? RemoveBeyond(int capacity)
    {
        List<PendingEnvelope>? removed = null;
        lock (_gate)
        {
            foreach (var lane in (ReadOnlySpan<QueueLane>)[QueueLane.Bulk, QueueLane.Errors])
            {
                for (var node = _envelopes.First; node is not null && _envelopes.Count > capacity;)
                {
                    var next = node.Next;
                    if (!node.Value.InFlight && node.Value.Lane == lane)
                    {
                        _envelopes.Remove(node);
                        (removed ??= []).Add(node.Value);
                    }

                    node = next;
                }
            }

            _count = _envelopes.Count;
        }

        return removed;
    }

    /// <summary>Removes and returns every envelope.</summary>
    public List<PendingEnvelope> RemoveAll()
    {
        lock (_gate)
        {
            var all = new List<PendingEnvelope>(_envelopes);
            _envelopes.Clear();
            _count = 0;
            return all;
        }
    }
}
