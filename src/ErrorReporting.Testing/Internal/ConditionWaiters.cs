using System.Runtime.CompilerServices;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// Waits for conditions over state guarded by a lock, without polling: the owner calls <see cref="CheckAll"/>
/// (under the same lock) whenever the state changes, which completes the satisfied waiters.
/// </summary>
internal sealed class ConditionWaiters
{
    private readonly object _gate;
    private readonly List<IWaiter> _waiters = [];

    public ConditionWaiters(object gate) => _gate = gate;

    private interface IWaiter
    {
        /// <summary>Completes the waiter when its condition holds; returns whether it is done.</summary>
        bool TryComplete();
    }

    public static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }
    }

    /// <summary>
    /// Waits until <paramref name="probe"/> (evaluated under the lock) returns a value.
    /// </summary>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>; the message comes from <paramref name="describeTimeout"/>.</exception>
    public async Task<T> WaitAsync<T>(Func<T?> probe, TimeSpan timeout, Func<string> describeTimeout, CancellationToken cancellationToken)
        where T : class
    {
        ValidateTimeout(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter<T>(probe);
        lock (_gate)
        {
            if (probe() is { } ready)
            {
                return ready;
            }

            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(describeTimeout());
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>Completes the waiters whose condition now holds. Call under the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void CheckAll()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].TryComplete())
            {
                _waiters.RemoveAt(i);
            }
        }
    }

    private sealed class Waiter<T>(Func<T?> probe) : IWaiter
        where T : class
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public bool TryComplete()
        {
            try
            {
                if (probe() is { } result)
                {
                    _completion.TrySetResult(result);
                    return true;
                }

                return false;
            }
            catch (Exception exception)
            {
                _completion.TrySetException(exception);
                return true;
            }
        }
    }
}
