namespace ErrorReporting.Delivery;

/// <summary>
/// The waiting envelopes of a store, oldest first, with the counts the reporter reads. Thread-safe: the worker adds,
/// the sender peeks and removes, the counters read. Both stores keep their envelopes in one.
/// </summary>
internal sealed class EnvelopeList
{
    private readonly LinkedList<PendingEnvelope> _envelopes = new();
    private readonly object _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _envelopes.Count;
            }
        }
    }

    /// <summary>Gets the lowest sequence of the waiting envelopes, or <see cref="long.MaxValue"/> when none waits.</summary>
    public long OldestSequence
    {
        get
        {
            lock (_gate)
            {
                var oldest = long.MaxValue;
                foreach (var envelope in _envelopes)
                {
                    oldest = Math.Min(oldest, envelope.Sequence);
                }

                return oldest;
            }
        }
    }

    /// <summary>Adds an envelope unless the list already holds <paramref name="capacity"/>.</summary>
    public bool TryAdd(PendingEnvelope envelope, int capacity = int.MaxValue)
    {
        lock (_gate)
        {
            if (_envelopes.Count >= capacity)
            {
                return false;
            }

            _envelopes.AddLast(envelope);
            return true;
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

    /// <summary>Removes an envelope; returns how many remain, or -1 when it was not in the list.</summary>
    public int Remove(PendingEnvelope envelope)
    {
        lock (_gate)
        {
            return _envelopes.Remove(envelope) ? _envelopes.Count : -1;
        }
    }

    /// <summary>Removes and returns the oldest envelopes beyond <paramref name="capacity"/>, never one being sent.</summary>
    public List<PendingEnvelope>? RemoveOldestBeyond(int capacity)
    {
        List<PendingEnvelope>? removed = null;
        lock (_gate)
        {
            for (var node = _envelopes.First; node is not null && _envelopes.Count > capacity;)
            {
                var next = node.Next;
                if (!node.Value.InFlight)
                {
                    _envelopes.Remove(node);
                    (removed ??= []).Add(node.Value);
                }

                node = next;
            }
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
            return all;
        }
    }
}
