namespace ErrorReporting.Testing.Internal;

/// <summary>
/// Waits for conditions over state guarded by a lock, without polling: the owner calls <see cref="Changed"/> under the
/// lock whenever the state changes, and every waiter evaluates its condition again.
/// </summary>
internal sealed class ConditionWaiters(object gate)
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes the waiters. Call under the lock.</summary>
    public void Changed()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Waits until <paramref name="probe"/>, evaluated under the lock, returns a value. An exception it throws ends the wait.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (but not infinite), or too long for a timer.</exception>
    /// <exception cref="TimeoutException">The condition did not hold in time; the message comes from <paramref name="describeTimeout"/>.</exception>
    public async Task<T> WaitAsync<T>(Func<T?> probe, TimeSpan timeout, Func<string> describeTimeout, CancellationToken cancellationToken)
        where T : class
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timerStarted = false;
        while (true)
        {
            Task changed;
            lock (gate)
            {
                if (probe() is { } ready)
                {
                    return ready;
                }

                changed = _changed.Task;
            }

            if (!timerStarted)
            {
                timer.CancelAfter(timeout);
                timerStarted = true;
            }

            try
            {
                await changed.WaitAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(describeTimeout());
            }
        }
    }
}
