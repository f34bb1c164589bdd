using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// The delivery queue: a bounded multi-producer, single-consumer queue of the SDK's envelopes, between the threads
/// that capture (producers) and the engine's worker (consumer). Enqueuing is lock-free and allocation-free
/// (D. Vyukov's bounded queue: one compare-and-swap on the position, one release of the cell); the consumer sleeps on
/// its own thread, on a semaphore that a producer releases only when the consumer waits.
/// </summary>
/// <remarks>
/// The position of an entry (0, 1, 2, … in acceptance order) is its sequence number: <see cref="EnqueuedCount"/>
/// taken at some moment is the number of envelopes accepted before it, which is what a flush waits for.
/// </remarks>
[SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "The SemaphoreSlim's wait handle is never created, so it holds nothing to release; disposing it could make a report racing with shutdown throw.")]
internal sealed class EnvelopeQueue
{
    private readonly Cell[] _cells;
    private readonly int _capacity;
    // The consumer sleeps on its own thread; releasing a semaphore allocates nothing and does not use the thread pool.
    private readonly SemaphoreSlim _signal = new(0);
    private PaddedLong _enqueuePosition;
    private PaddedLong _dequeuePosition;

    // 1 while the consumer is (about to be) waiting for a signal.
    private int _consumerWaiting;

    public EnvelopeQueue(int capacity)
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
    public bool TryEnqueue(Envelope entry)
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
            _signal.Release();
        }

        return true;
    }

    /// <summary>
    /// Takes the oldest entry. Only the single consumer may call this.
    /// </summary>
    public bool TryDequeue([NotNullWhen(true)] out Envelope? entry)
    {
        var position = _dequeuePosition.Value;
        ref var cell = ref _cells[(int)(position % _capacity)];
        if (Volatile.Read(ref cell.Sequence) != position + 1)
        {
            entry = null;
            return false;
        }

        entry = cell.Entry!;
        cell.Entry = null; // release the reference for the GC
        Volatile.Write(ref cell.Sequence, position + _capacity);
        Volatile.Write(ref _dequeuePosition.Value, position + 1);
        return true;
    }

    /// <summary>
    /// Blocks until an entry may be available or <paramref name="cancellationToken"/> is canceled. Only the single
    /// consumer may call this (on its own thread).
    /// </summary>
    public void WaitToDequeue(CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _consumerWaiting, 1);
        var position = _dequeuePosition.Value;
        if (Volatile.Read(ref _cells[(int)(position % _capacity)].Sequence) == position + 1 || cancellationToken.IsCancellationRequested)
        {
            // Something arrived between the consumer's last look and the flag: do not sleep. (If a producer took the
            // flag meanwhile, it released the semaphore; the next wait returns at once, which is harmless.)
            Interlocked.Exchange(ref _consumerWaiting, 0);
            return;
        }

        try
        {
            _signal.Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the caller checks its token.
        }
    }

    /// <summary>Wakes the consumer (used to stop it).</summary>
    public void WakeConsumer()
    {
        if (Interlocked.Exchange(ref _consumerWaiting, 0) != 0)
        {
            _signal.Release();
        }
    }

    private struct Cell
    {
        public long Sequence;
        public Envelope? Entry;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)]
        public long Value;
    }
}
