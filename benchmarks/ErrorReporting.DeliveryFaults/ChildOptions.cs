using System.Globalization;

namespace ErrorReporting.DeliveryFaults;

/// <summary>Which delivery a child process uses.</summary>
internal enum Side
{
    /// <summary>The SDK's own background worker and transports: <c>SentrySdk.Init(o => o.Dsn = …)</c>.</summary>
    Sdk,

    /// <summary><c>AddErrorReporting(o => o.Dsn = …)</c>, reporting through <see cref="IErrorReporter"/> (the engine is installed automatically).</summary>
    ErrorReporting,
}

/// <summary>What one child process does; passed on its command line after <see cref="Flag"/>.</summary>
internal sealed record ChildOptions
{
    public const string Flag = "--child";

    public required Side Side { get; init; }

    public required string Dsn { get; init; }

    /// <summary>Gets the <c>CacheDirectoryPath</c>, or <see langword="null"/> for none.</summary>
    public string? Cache { get; init; }

    /// <summary>Gets the number of reports (0 with <see cref="DeliverOnly"/>).</summary>
    public int Count { get; init; }

    /// <summary>Gets the pause between two paced reports (a single thread).</summary>
    public int IntervalMilliseconds { get; init; }

    /// <summary>Gets the number of threads reporting at once without pacing (exceptions); 0 for paced messages.</summary>
    public int Threads { get; init; }

    /// <summary>Gets <c>MaxQueueItems</c>, or <see langword="null"/> for the side's default.</summary>
    public int? Queue { get; init; }

    /// <summary>
    /// Gets the number of transactions (<c>SentrySdk.StartTransaction(...).Finish()</c>) reported before the
    /// <see cref="Count"/> exceptions, which then follow at once from the same thread; 0 for none.
    /// </summary>
    public int Transactions { get; init; }

    /// <summary>Gets a value indicating whether <c>TracesSampleRate</c> is 1 (every transaction kept), else the side's default.</summary>
    public bool Traces { get; init; }

    /// <summary>Gets a value indicating whether the child only initialises and flushes (a restart with the cache a killed process left).</summary>
    public bool DeliverOnly { get; init; }

    /// <summary>Gets a value indicating whether the child waits, without flushing, to be killed after reporting.</summary>
    public bool WaitForKill { get; init; }

    public static ChildOptions Parse(IReadOnlyList<string> args)
    {
        Side? side = null;
        string? dsn = null;
        string? cache = null;
        int count = 0, interval = 0, threads = 0, transactions = 0;
        int? queue = null;
        bool deliverOnly = false, waitForKill = false, traces = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--side":
                    side = Value(args, ref i) switch
                    {
                        "sdk" => Side.Sdk,
                        "errorreporting" => Side.ErrorReporting,
                        var other => throw new UsageException($"Unknown side '{other}'."),
                    };
                    break;
                case "--dsn":
                    dsn = Value(args, ref i);
                    break;
                case "--cache":
                    cache = Value(args, ref i);
                    break;
                case "--count":
                    count = Number(args, ref i);
                    break;
                case "--interval-ms":
                    interval = Number(args, ref i);
                    break;
                case "--threads":
                    threads = Number(args, ref i);
                    break;
                case "--queue":
                    queue = Number(args, ref i);
                    break;
                case "--transactions":
                    transactions = Number(args, ref i);
                    break;
                case "--traces":
                    traces = true;
                    break;
                case "--deliver-only":
                    deliverOnly = true;
                    break;
                case "--wait-for-kill":
                    waitForKill = true;
                    break;
                default:
                    throw new UsageException($"Unknown child argument '{args[i]}'.");
            }
        }

        return new ChildOptions
        {
            Side = side ?? throw new UsageException("--side is required."),
            Dsn = dsn ?? throw new UsageException("--dsn is required."),
            Cache = cache,
            Count = count,
            IntervalMilliseconds = interval,
            Threads = threads,
            Queue = queue,
            Transactions = transactions,
            Traces = traces,
            DeliverOnly = deliverOnly,
            WaitForKill = waitForKill,
        };
    }

    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string>
        {
            Flag,
            "--side", Side == Side.Sdk ? "sdk" : "errorreporting",
            "--dsn", Dsn,
            "--count", Count.ToString(CultureInfo.InvariantCulture),
            "--interval-ms", IntervalMilliseconds.ToString(CultureInfo.InvariantCulture),
            "--threads", Threads.ToString(CultureInfo.InvariantCulture),
        };
        if (Cache is not null)
        {
            args.AddRange(["--cache", Cache]);
        }

        if (Queue is { } queue)
        {
            args.AddRange(["--queue", queue.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Transactions > 0)
        {
            args.AddRange(["--transactions", Transactions.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Traces)
        {
            args.Add("--traces");
        }

        if (DeliverOnly)
        {
            args.Add("--deliver-only");
        }

        if (WaitForKill)
        {
            args.Add("--wait-for-kill");
        }

        return args;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
        => ++i < args.Count ? args[i] : throw new UsageException($"{args[i - 1]} needs a value.");

    private static int Number(IReadOnlyList<string> args, ref int i)
    {
        var text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"{args[i - 1]} needs a non-negative integer, not '{text}'.");
    }
}

/// <summary>Bad command-line arguments (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
