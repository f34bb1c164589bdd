namespace ErrorReporting.Delivery.Queue;

/// <summary>
/// A flush's place in the delivery queue. The engine enqueues it behind everything reported so far; when the intake
/// reaches it, everything before it is in the store, so the flush is done once the store holds nothing older than
/// <see cref="Watermark"/>.
/// </summary>
internal sealed class FlushMarker
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the store sequence of the first envelope after the marker (set by the intake).</summary>
    public long Watermark { get; set; } = long.MaxValue;

    /// <summary>Gets a task that completes with <see langword="true"/> once everything before the marker was delivered or dropped.</summary>
    public Task<bool> Done => _done.Task;

    public void Complete(bool flushed) => _done.TrySetResult(flushed);
}
