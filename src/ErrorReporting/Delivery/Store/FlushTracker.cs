using ErrorReporting.Delivery.Queue;

namespace ErrorReporting.Delivery.Store;

/// <summary>
/// Completes the flush markers the intake has passed once the store holds nothing older than their watermark. The
/// intake registers markers; the sender reports progress after each envelope it finishes.
/// </summary>
internal sealed class FlushTracker(IEnvelopeStore store)
{
    private readonly List<FlushMarker> _waiting = [];
    private int _count;
    private bool _abandoned;

    /// <summary>Registers a marker the intake reached (its watermark set).</summary>
    public void Register(FlushMarker marker)
    {
        lock (_waiting)
        {
            if (_abandoned)
            {
                marker.Complete(false);
                return;
            }

            _waiting.Add(marker);
            _count = _waiting.Count;
        }

        NotifyProgress();
    }

    /// <summary>Completes the markers that are done.</summary>
    public void NotifyProgress()
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        var oldest = store.OldestSequence;
        lock (_waiting)
        {
            for (var i = _waiting.Count - 1; i >= 0; i--)
            {
                if (oldest >= _waiting[i].Watermark)
                {
                    _waiting[i].Complete(true);
                    _waiting.RemoveAt(i);
                }
            }

            _count = _waiting.Count;
        }
    }

    /// <summary>Releases every waiting flush with <see langword="false"/>, and every later one (the engine is stopping, or its sender failed).</summary>
    public void Abandon()
    {
        lock (_waiting)
        {
            _abandoned = true;
            foreach (var marker in _waiting)
            {
                marker.Complete(false);
            }

            _waiting.Clear();
            _count = 0;
        }
    }
}
