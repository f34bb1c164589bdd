using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace ErrorReporting.Reporting;

/// <summary>
/// A bounded multi-producer, single-consumer queue of <see cref="ReportEntry"/> values. Enqueuing is lock-free and
/// allocation-free (D. Vyukov's bounded queue: one compare-and-swap on the position, one release of the cell);
/// the consumer sleeps on an allocation-free signal that a producer sets only when the consumer waits.
/// </summary>
/// <remarks>
/// The position of an entry (0, 1, 2, … in acceptance order) is its sequence number: <see cref="EnqueuedCount"/>
/// taken at some moment is the number of reports accepted before it, which is what a flush waits for.
/// </remarks>
internal sealed class ReportQueue
{
    private readonly Cell[] _cells;
    private readonly int _capacity;
    private readonly ConsumerSignal _signal = new();
    private PaddedLong _enqueuePosition;
    private PaddedLong _dequeuePosition;

    // 1 while the consumer is (about to be) waiting for a signal.
    private int _consumerWaiting;

    public ReportQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _cells = new Cell[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _cells[i].Sequence = i;
        }
    }

    public int Capacity => _capacity;

    /// <summary>Gets the number of entries accepted so far (the next entry's sequence number).</summary>
    public long EnqueuedCount => Volatile.Read(ref _enqueuePosition.Value);

    /// <summary>Gets the number of entries the consumer has taken so far.</summary>
    public long DequeuedCount => Volatile.Read(ref _dequeuePosition.Value);

    /// <summary>Gets the number of entries waiting (a snapshot).</summary>
    public int Count => (int)Math.Max(0, EnqueuedCount - DequeuedCount);

    /// <summary>
    /// Adds an entry unless the queue is full. Never blocks, never allocates.
    /// </summary>
    public bool TryEnqueue(in ReportEntry entry)
    {
        var position = Volatile.Read(ref _enqueuePosition.Value);
        ref var cell = ref _cells[0];
        while (true)
        {
            cell = ref _cells[(int)(position % _capacity)];
            var sequence = Volatile.Read(ref cell.Sequence);
            var difference = sequence - position;
            if (difference == 0)
            {
                var observed = Interlocked.CompareExchange(ref _enqueuePosition.Value, position + 1, position);
                if (observed == position)
                {
                    break;
                }

                position = observed;
            }
            else if (difference < 0)
            {
                return false;
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition.Value);
            }
        }

        cell.Entry = entry;

        // A full fence: the publication must be visible before _consumerWaiting is read (store-load ordering).
        Interlocked.Exchange(ref cell.Sequence, position + 1);
        if (Volatile.Read(ref _consumerWaiting) != 0 && Interlocked.Exchange(ref _consumerWaiting, 0) != 0)
        {
            _signal.Set();
        }

        return true;
    }

    /// <summary>
    /// Takes the oldest entry. Only the single consumer may call this.
    /// </summary>
    public bool TryDequeue(out ReportEntry entry)
    {
        var position = _dequeuePosition.Value;
        ref var cell = ref _cells[(int)(position % _capacity)];
        if (Volatile.Read(ref cell.Sequence) != position + 1)
        {
            entry = default;
            return false;
        }

        entry = cell.Entry;
        cell.Entry = default; // release the references (exception, context) for the GC
        Volatile.Write(ref cell.Sequence, position + _capacity);
        Volatile.Write(ref _dequeuePosition.Value, position + 1);
        return true;
    }

    /// <summary>
    /// Waits until an entry may be available. Only the single consumer may call this.
    /// </summary>
    public ValueTask WaitToDequeueAsync(CancellationToken cancellationToken)
    {
        _signal.Reset(cancellationToken);
        Interlocked.Exchange(ref _consumerWaiting, 1);
        var position = _dequeuePosition.Value;
        if (Volatile.Read(ref _cells[(int)(position % _capacity)].Sequence) == position + 1 || cancellationToken.IsCancellationRequested)
        {
            // Something arrived between the consumer's last look and the flag: do not sleep.
            if (Interlocked.Exchange(ref _consumerWaiting, 0) != 0)
            {
                return ValueTask.CompletedTask;
            }

            // A producer took the flag and will set the signal: fall through and consume it.
        }

        return _signal.WaitAsync();
    }

    /// <summary>Wakes the consumer (used to stop it).</summary>
    public void WakeConsumer()
    {
        if (Interlocked.Exchange(ref _consumerWaiting, 0) != 0)
        {
            _signal.Set();
        }
    }

    private struct Cell
    {
        public long Sequence;
        public ReportEntry Entry;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }

    /// <summary>
    /// A reusable single-waiter signal. Setting it queues the waiting continuation to the thread pool without
    /// allocating, so a producer never runs the consumer's code and never allocates.
    /// </summary>
    private sealed class ConsumerSignal : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private CancellationTokenRegistration _registration;
        private int _completed;

        public void Reset(CancellationToken cancellationToken)
        {
            _registration.Dispose();
            _core.Reset();
            _completed = 0;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static state => ((ConsumerSignal)state!).Set(), this);
            }
        }

        public ValueTask WaitAsync() => new(this, _core.Version);

        public void Set()
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _core.SetResult(true);
            }
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}
