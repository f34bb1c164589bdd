namespace ErrorReporting.Delivery;

/// <summary>
/// Answers "has every envelope accepted before sequence <c>n</c> been delivered or dropped?" and wakes flushes when it has:
/// the worker has handed on envelopes 0 … n-1 and no older envelope waits in the store.
/// </summary>
internal sealed class FlushTracker
{
    private readonly Func<long> _processed;
    private readonly Func<long> _oldestPending;
    private readonly object _gate = new();
    private readonly List<(long Target, TaskCompletionSource<bool> Completion)> _waiters = [];
    private int _waiterCount;

    public FlushTracker(Func<long> processed, Func<long> oldestPending)
    {
        _processed = processed;
        _oldestPending = oldestPending;
    }

    public bool IsFlushed(long target) => _processed() >= target && _oldestPending() >= target;

    public Task<bool> WaitAsync(long target)
    {
        if (IsFlushed(target))
        {
            return Task.FromResult(true);
        }

        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((target, completion));
            _waiterCount = _waiters.Count;
        }

        // Progress may have happened between the first check and the registration.
        NotifyProgress();
        return completion.Task;
    }

    /// <summary>Called by the worker and the sender after each step.</summary>
    public void NotifyProgress()
    {
        if (Volatile.Read(ref _waiterCount) == 0)
        {
            return;
        }

        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (IsFlushed(_waiters[i].Target))
                {
                    _waiters[i].Completion.TrySetResult(true);
                    _waiters.RemoveAt(i);
                }
            }

            _waiterCount = _waiters.Count;
        }
    }

    /// <summary>Releases every waiting flush with <see langword="false"/> (the reporter is stopping).</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Completion.TrySetResult(false);
            }

            _waiters.Clear();
            _waiterCount = 0;
        }
    }
}
