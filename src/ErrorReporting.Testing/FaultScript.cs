using System.Collections.Concurrent;

namespace ErrorReporting.Testing;

/// <summary>
/// The faults a <see cref="SentryTestServer"/> injects: a queue consumed one per request, in order, then an optional
/// handler for the requests after it (for time-based scripts such as "down for the first 3 s").
/// </summary>
/// <remarks>Every request the server receives, whatever its path, takes the next fault. Thread-safe.</remarks>
public sealed class FaultScript
{
    private readonly ConcurrentQueue<FaultResponse> _queue = new();

    internal FaultScript()
    {
    }

    /// <summary>
    /// Gets or sets the handler consulted for a request when the queue is empty. It gets the request (its
    /// <see cref="ReceivedRequestInfo.Outcome"/> is <see cref="RequestOutcome.Pending"/>) and returns the fault to
    /// answer with, or <see langword="null"/> for normal handling. A handler that throws makes the server answer 500.
    /// </summary>
    public Func<ReceivedRequestInfo, FaultResponse?>? Handler { get; set; }

    /// <summary>Gets the number of queued faults not used yet.</summary>
    public int PendingCount => _queue.Count;

    /// <summary>Queues faults for the next requests, one per request, in order.</summary>
    /// <param name="faults">The faults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="faults"/> or one of its elements is <see langword="null"/>.</exception>
    public void Enqueue(params FaultResponse[] faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        if (faults.Any(fault => fault is null))
        {
            throw new ArgumentNullException(nameof(faults), "A fault is null.");
        }

        foreach (var fault in faults)
        {
            _queue.Enqueue(fault);
        }
    }

    /// <summary>Removes the queued faults and the handler: requests are handled normally again.</summary>
    public void Clear()
    {
        _queue.Clear();
        Handler = null;
    }

    /// <summary>The fault for a request: the next queued one, else the handler's.</summary>
    internal FaultResponse? Next(ReceivedRequestInfo request) => _queue.TryDequeue(out var fault) ? fault : Handler?.Invoke(request);
}
