using System.Threading.Channels;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery.Queue;

/// <summary>
/// The delivery queue between the threads that capture (writers) and the engine's intake (the one reader): a
/// <see cref="Channel{T}"/> in report order, with room per <see cref="QueueLane"/>. Writing never blocks: an envelope
/// for a lane without room is refused at once. Room is taken when an envelope is accepted and given back when the
/// envelope no longer needs memory: once it is on disk in the offline cache, or once it was delivered or dropped
/// (<see cref="QueueRoom"/>), so the lanes bound what the engine holds in memory, serialized or not.
/// </summary>
internal sealed class EnvelopeQueue
{
    // Entries are an Envelope or a FlushMarker: a channel of references runs the runtime's precompiled code (a channel
    // of a struct would be JIT-compiled at start-up), and writing one allocates nothing.
    private readonly Channel<object> _channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    private long _waiting;

    public EnvelopeQueue(int capacityPerLane) => Room = new QueueRoom(capacityPerLane);

    /// <summary>Gets the room of the lanes.</summary>
    public QueueRoom Room { get; }

    /// <summary>Gets the number of envelopes waiting for the intake (a snapshot).</summary>
    public long Count => Volatile.Read(ref _waiting);

    /// <summary>Gets the reader of the entries: an <see cref="Envelope"/> (its lane is <see cref="QueueLanes.Of(Envelope)"/>) or a <see cref="FlushMarker"/>.</summary>
    public ChannelReader<object> Reader => _channel.Reader;

    /// <summary>Adds an envelope of <paramref name="lane"/> (<see cref="QueueLanes.Of(Envelope)"/>) unless the lane has no room or the queue was closed. Never blocks.</summary>
    public bool TryEnqueue(Envelope envelope, QueueLane lane)
    {
        if (!Room.TryTake(lane))
        {
            return false;
        }

        Interlocked.Increment(ref _waiting);
        if (_channel.Writer.TryWrite(envelope))
        {
            return true;
        }

        Interlocked.Decrement(ref _waiting);
        Room.Release(lane);
        return false;
    }

    /// <summary>Adds a flush marker behind everything enqueued so far (markers take no room).</summary>
    public bool TryEnqueue(FlushMarker marker) => _channel.Writer.TryWrite(marker);

    /// <summary>Called by the intake for each envelope it takes.</summary>
    public void Taken() => Interlocked.Decrement(ref _waiting);

    /// <summary>Refuses everything from now on; the intake ends once it has read what is left.</summary>
    public void Close() => _channel.Writer.TryComplete();
}

/// <summary>
/// How many envelopes each lane holds in memory. Thread-safe and lock-free: taken by writers, given back by the store.
/// </summary>
internal sealed class QueueRoom
{
    private readonly int[] _used = new int[QueueLanes.Count];

    public QueueRoom(int capacityPerLane)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityPerLane, 1);
        Capacity = capacityPerLane;
    }

    public int Capacity { get; }

    public int Used(QueueLane lane) => Volatile.Read(ref _used[(int)lane]);

    public bool TryTake(QueueLane lane)
    {
        if (Interlocked.Increment(ref _used[(int)lane]) <= Capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _used[(int)lane]);
        return false;
    }

    public void Release(QueueLane lane) => Interlocked.Decrement(ref _used[(int)lane]);
}
