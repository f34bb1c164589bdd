namespace ErrorReporting.Delivery;

/// <summary>
/// A wake-up that one side sets and the other awaits: <see cref="Wait"/> gives a task that completes at the first
/// <see cref="Set"/> after it was taken, so a waiter takes it before it looks for work and misses no wake-up. Thread-safe.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes at the next <see cref="Set"/>.</summary>
    public Task Wait()
    {
        lock (_gate)
        {
            return _next.Task;
        }
    }

    public void Set()
    {
        TaskCompletionSource set;
        lock (_gate)
        {
            set = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        set.TrySetResult();
    }
}
