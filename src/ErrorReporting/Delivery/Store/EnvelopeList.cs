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
            envelope.Node = _envelopes.AddLast(envelope);
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

    /// <summary>Removes an envelope; returns <see langword="false"/> when it was not in the list (evicted, or removed before).</summary>
    public bool Remove(PendingEnvelope envelope)
    {
        lock (_gate)
        {
            if (envelope.Node is not { } node || node.List != _envelopes)
            {
                return false;
            }

            _envelopes.Remove(node);
            _count = _envelopes.Count;
            return true;
        }
    }

    /// <summary>
    /// Marks an envelope as being sent, so that <see cref="RemoveBeyond"/> leaves it alone until it is removed or
    /// released; <see langword="false"/> when it is no longer in the list (evicted between the sender's peek and now).
    /// </summary>
    public bool TryClaim(PendingEnvelope envelope)
    {
        lock (_gate)
        {
            if (envelope.Node?.List != _envelopes)
            {
                return false;
            }

            envelope.InFlight = true;
            return true;
        }
    }

    /// <summary>Ends the claim of an envelope that stays (its send got no response).</summary>
    public void Release(PendingEnvelope envelope)
    {
        lock (_gate)
        {
            envelope.InFlight = false;
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
