namespace ErrorReporting.Testing;

/// <summary>
/// An in-memory <see cref="IErrorReporter"/> for unit tests: records every call and sends nothing.
/// </summary>
/// <remarks>
/// Arguments are checked as the real reporter checks them. A scope callback runs on a fresh <see cref="Scope"/>, which
/// the report keeps (<see cref="RecordedReport.Scope"/>); a callback that throws makes the call return
/// <see cref="SentryId.Empty"/> and record nothing, as with the real reporter. Unlike it, every other call is recorded
/// (even a second report of the same exception) with a fresh id: nothing is sampled or dropped, and the Sentry SDK is
/// not involved. All members are thread-safe; the collections are snapshots.
/// </remarks>
public sealed class RecordingErrorReporter : IErrorReporter
{
    private readonly object _gate = new();
    private readonly List<RecordedReport> _reports = [];
    private readonly TimeProvider _time;
    private int _flushCount;

    /// <summary>Initializes a new instance of the <see cref="RecordingErrorReporter"/> class.</summary>
    /// <param name="timeProvider">The clock for <see cref="RecordedReport.Timestamp"/> (for example a fake one), or <see langword="null"/> for the system clock.</param>
    public RecordingErrorReporter(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <summary>Gets <see langword="true"/>: the recorder accepts every report.</summary>
    public bool IsEnabled => true;

    /// <summary>Gets the recorded reports, oldest first.</summary>
    public IReadOnlyList<RecordedReport> Reports => GetSnapshot();

    /// <summary>Gets the number of recorded reports.</summary>
    public int Count => GetSnapshot().Count;

    /// <summary>Gets the most recent report, or <see langword="null"/> when there is none.</summary>
    public RecordedReport? LatestReport => GetSnapshot() is [.., var latest] ? latest : null;

    /// <summary>Gets how many times <see cref="FlushAsync"/> was called.</summary>
    public int FlushCount => Volatile.Read(ref _flushCount);

    /// <summary>Records a <see cref="RecordedReportKind.Handled"/> report at level <see cref="SentryLevel.Error"/> (or the level the callback sets).</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="configureScope">Optional: configures the fresh <see cref="Scope"/> the report keeps. If it throws, nothing is recorded.</param>
    /// <returns>The report's new random id (<see cref="RecordedReport.EventId"/>), or <see cref="SentryId.Empty"/> when the callback threw.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public SentryId ReportHandled(Exception exception, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Record(RecordedReportKind.Handled, exception, message: null, SentryLevel.Error, mechanism: null, configureScope);
    }

    /// <summary>Records a <see cref="RecordedReportKind.Unhandled"/> report at level <see cref="SentryLevel.Error"/> (or the level the callback sets).</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="mechanism">What caught the exception, kept as <see cref="RecordedReport.Mechanism"/>.</param>
    /// <param name="configureScope">Optional: configures the fresh <see cref="Scope"/> the report keeps. If it throws, nothing is recorded.</param>
    /// <returns>The report's new random id, or <see cref="SentryId.Empty"/> when the callback threw.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> or <paramref name="mechanism"/> is <see langword="null"/>.</exception>
    public SentryId ReportUnhandled(Exception exception, string mechanism, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(mechanism);
        return Record(RecordedReportKind.Unhandled, exception, message: null, SentryLevel.Error, mechanism, configureScope);
    }

    /// <summary>Records a <see cref="RecordedReportKind.Message"/> report at <paramref name="level"/> (or the level the callback sets).</summary>
    /// <param name="message">The message text.</param>
    /// <param name="level">The level. The default is <see cref="SentryLevel.Info"/>.</param>
    /// <param name="configureScope">Optional: configures the fresh <see cref="Scope"/> the report keeps. If it throws, nothing is recorded.</param>
    /// <returns>The report's new random id, or <see cref="SentryId.Empty"/> when the callback threw.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public SentryId ReportMessage(string message, SentryLevel level = SentryLevel.Info, Action<Scope>? configureScope = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Record(RecordedReportKind.Message, exception: null, message, level, mechanism: null, configureScope);
    }

    /// <summary>Counts the call (<see cref="FlushCount"/>) and returns <see langword="true"/> at once: nothing is pending.</summary>
    /// <param name="timeout">How long to wait at most (checked as the real reporter checks it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public ValueTask<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (except Timeout.InfiniteTimeSpan).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _flushCount);
        return ValueTask.FromResult(true);
    }

    /// <summary>Returns the recorded reports, oldest first, and optionally forgets them (atomically).</summary>
    /// <param name="clear"><see langword="true"/> to clear the recorder as well (as <see cref="Clear"/> does). The default is <see langword="false"/>.</param>
    public IReadOnlyList<RecordedReport> GetSnapshot(bool clear = false)
    {
        lock (_gate)
        {
            var snapshot = _reports.ToArray();
            if (clear)
            {
                _reports.Clear();
            }

            return snapshot;
        }
    }

    /// <summary>Forgets the recorded reports. <see cref="FlushCount"/> is kept.</summary>
    public void Clear() => GetSnapshot(clear: true);

    /// <summary>Finds the first report of this exception object.</summary>
    /// <param name="exception">The exception (compared by reference).</param>
    /// <returns>The report, or <see langword="null"/> when the exception was not reported.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public RecordedReport? Find(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Reports.FirstOrDefault(report => ReferenceEquals(report.Exception, exception));
    }

    /// <summary>Finds every report of an exception of type <typeparamref name="TException"/> (or a type derived from it).</summary>
    /// <typeparam name="TException">The exception type.</typeparam>
    public IReadOnlyList<RecordedReport> FindAll<TException>()
        where TException : Exception
        => [.. Reports.Where(report => report.Exception is TException)];

    private SentryId Record(RecordedReportKind kind, Exception? exception, string? message, SentryLevel level, string? mechanism, Action<Scope>? configureScope)
    {
        var scope = new Scope(options: null);
        try
        {
            configureScope?.Invoke(scope);
        }
        catch (Exception)
        {
            // As the real reporter: a throwing callback makes the call report nothing, and the call does not throw.
            return SentryId.Empty;
        }

        var id = SentryId.Create();
        var report = new RecordedReport(kind, exception, message, scope.Level ?? level, mechanism, scope, id, _time.GetUtcNow());
        lock (_gate)
        {
            _reports.Add(report);
        }

        return id;
    }
}
