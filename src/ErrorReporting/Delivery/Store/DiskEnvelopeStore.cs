using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ErrorReporting.Delivery.Accounting;
using ErrorReporting.Delivery.Queue;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Delivery.Store;

/// <summary>
/// The offline cache (<c>CacheDirectoryPath</c>): every envelope is written to disk before it is sent and deleted after
/// the server answered it. A file holds the envelope as the SDK serialized it, without <c>sent_at</c>: a valid Sentry
/// envelope. Files are written atomically (a temporary file, then a rename) with owner-only permissions, named so that
/// their order is the order of the reports; at start-up, files left by an earlier process are sent first, oldest first,
/// with their original event ids. The cache is bounded: beyond <c>MaxCacheItems</c> an envelope is evicted (counted as
/// <c>cache_overflow</c>), the oldest of the bulk lane first. An exclusive lock file keeps a second process out.
/// </summary>
/// <remarks>
/// The folder is a place where anything can happen, and none of it stops delivery or sends an envelope twice:
/// <list type="bullet">
/// <item>a file that is not a readable envelope (corrupt, truncated, foreign, a link, a FIFO) is removed and counted
/// as <c>internal_sdk_error</c>; the rest is delivered; a lock entry that is a link or a folder is removed or set
/// aside the same way (a link is never followed out of the folder);</item>
/// <item>a folder that can be read but not written is not used (its envelopes could be sent but never deleted, so
/// every start would send them again); the process keeps its envelopes in memory and says so;</item>
/// <item>a write that fails (a full disk, a file-size limit) leaves no temporary file; the envelope stays in memory,
/// counted as not cached, with one warning per run of failures;</item>
/// <item>a folder others can access is tightened to owner-only (its owner's own access unchanged), or a warning says
/// it could not be.</item>
/// </list>
/// </remarks>
internal sealed class DiskEnvelopeStore : IEnvelopeStore
{
    internal const string Extension = ".envelope";
    internal const string TemporaryExtension = ".tmp";
    internal const string LockFileName = ".lock";

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly EnvelopeList _envelopes = new();
    private readonly string _root;
    private readonly int _capacity;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(8 * 1024);
    private volatile FileStream? _lock;
    private volatile bool _inMemoryOnly;
    private long _failedWrites;
    private long _fileCounter;
    private int _discarded;
    private string? _firstDiscarded;

    /// <param name="root">The folder of all caches (<c>{CacheDirectoryPath}/ErrorReporting</c>); the store uses a folder per DSN in it.</param>
    /// <param name="dsnIdentity">The DSN, hashed into the folder's name.</param>
    /// <param name="capacity"><c>MaxCacheItems</c>.</param>
    /// <param name="counters">Where evictions, unreadable files and failed writes are counted.</param>
    /// <param name="logger">Where the cache's problems are logged.</param>
    public DiskEnvelopeStore(string root, string dsnIdentity, int capacity, DeliveryCounters counters, ILogger logger)
    {
        _root = Path.GetFullPath(root);
        Directory = Path.Combine(_root, Hash(dsnIdentity));
        _capacity = capacity;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>Gets the cache folder of the DSN.</summary>
    public string Directory { get; }

    /// <summary>Gets a value indicating whether the folder is in use (after <see cref="Open"/>); otherwise envelopes stay in memory.</summary>
    public bool IsOnDisk => _lock is not null && !_inMemoryOnly;

    public int Count => _envelopes.Count;

    /// <summary>Gets how many envelopes the cache keeps before it evicts (<c>MaxCacheItems</c>).</summary>
    public int Capacity => _capacity;

    public long OldestSequence => _envelopes.OldestSequence;

    public AsyncSignal Added { get; } = new();

    public int Open()
    {
        try
        {
            CreateOwnerOnly(_root);
            CreateOwnerOnly(Directory);
            if (!CanWrite(out var reason))
            {
                var left = System.IO.Directory.EnumerateFiles(Directory, "*" + Extension).Count();
                Log.CacheReadOnly(_logger, Directory, reason, left);
                _inMemoryOnly = true;
                return 0;
            }

            var lockPath = Path.Combine(Directory, LockFileName);
            SetAsideUnlessFile(lockPath);
            try
            {
                _lock = new FileStream(lockPath, OwnerOnly(FileMode.OpenOrCreate, FileAccess.ReadWrite));
            }
            catch (IOException exception)
            {
                // A regular file (links and folders were set aside) that cannot be locked: another process holds it.
                Log.CacheInUse(_logger, exception, Directory);
                _inMemoryOnly = true;
                return 0;
            }

            return Restore();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Never thrown out of here: the engine's start would die with it. The process keeps its envelopes in memory.
            Log.CacheUnavailable(_logger, exception, Directory);
            _lock?.Dispose();
            _lock = null;
            _inMemoryOnly = true;
            return 0;
        }
    }

    public void Add(PendingEnvelope envelope)
    {
        if (IsOnDisk)
        {
            Write(envelope);
        }

        _envelopes.Add(envelope);
        if (IsOnDisk)
        {
            Evict();
        }

        Added.Set();
    }

    public void PeekOldest(List<PendingEnvelope> into, int count) => _envelopes.PeekOldest(into, count);

    public bool TryClaim(PendingEnvelope envelope) => _envelopes.TryClaim(envelope);

    public void Release(PendingEnvelope envelope) => _envelopes.Release(envelope);

    public void Remove(PendingEnvelope envelope)
    {
        if (_envelopes.Remove(envelope))
        {
            Delete(envelope);
        }
    }

    public void Dispose()
    {
        foreach (var envelope in _envelopes.RemoveAll())
        {
            envelope.Dispose(); // the files stay for the next process
        }

        _lock?.Dispose();
    }

    internal static string Hash(string dsnIdentity)
        => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(dsnIdentity)).AsSpan(0, 8)).ToLowerInvariant();

    private static FileStreamOptions OwnerOnly(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return options;
    }

    /// <summary>
    /// Creates a folder with owner-only permissions, or takes the access of group and others away from an existing one
    /// (the owner's own access stays as it is: a folder made read-only on purpose stays read-only).
    /// </summary>
    private void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
            return;
        }

        var info = System.IO.Directory.CreateDirectory(path, OwnerOnlyDirectory);
        if ((info.UnixFileMode & GroupOrOther) == 0)
        {
            return;
        }

        try
        {
            info.UnixFileMode &= ~GroupOrOther;
            Log.CachePermissionsTightened(_logger, path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log.CachePermissionsLoose(_logger, exception, path);
        }
    }

    /// <summary>
    /// Checks that files can be created and deleted in the folder (a read-only mount, a folder of another user). The
    /// probe's name is new at every start and it is created only if nothing has that name: whatever an entry left in the
    /// folder is (a link to a file elsewhere, a folder), it is neither followed nor mistaken for a folder that cannot be
    /// written.
    /// </summary>
    private bool CanWrite(out string reason)
    {
        var probe = Path.Combine(Directory, $".write-test-{Guid.NewGuid():N}{TemporaryExtension}");
        try
        {
            using (new FileStream(probe, OwnerOnly(FileMode.CreateNew, FileAccess.Write)))
            {
            }

            File.Delete(probe);
            reason = string.Empty;
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            reason = exception.Message;
            return false;
        }
    }

    private void Write(PendingEnvelope envelope)
    {
        var path = Path.Combine(Directory, FileName(envelope));
        var temporary = path + TemporaryExtension;
        try
        {
            _buffer.ResetWrittenCount();
            _buffer.Write(envelope.Header);
            _buffer.Write("\n"u8);
            _buffer.Write(envelope.Items);
            using (var file = new FileStream(temporary, OwnerOnly(FileMode.CreateNew, FileAccess.Write)))
            {
                file.Write(_buffer.WrittenSpan);
            }

            File.Move(temporary, path);
            envelope.MoveToFile(path);
            if (_failedWrites > 0)
            {
                Log.CacheWritableAgain(_logger, Directory, _failedWrites);
                _failedWrites = 0;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            // A full disk (IOException), a folder that became read-only (UnauthorizedAccessException) or a limit on the
            // size of the process's files (EFBIG, which .NET throws as ArgumentOutOfRangeException): the envelope stays in
            // memory, sent by this process.
            TryDelete(temporary);
            _counters.NotCachedOne();
            if (_failedWrites++ == 0)
            {
                Log.CacheWriteFailed(_logger, exception, Directory);
            }
        }
    }

    private string FileName(PendingEnvelope envelope)
    {
        // Ordinal order of names = order of reports: UTC ticks, then a per-process counter.
        var counter = ++_fileCounter;
        var id = envelope.EventId == SentryId.Empty ? "none" : envelope.EventId.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId:D7}-{counter:D9}-{id}{Extension}");
    }

    /// <summary>Removes envelopes beyond the capacity (never one being sent), counted as <c>cache_overflow</c>.</summary>
    private void Evict()
    {
        foreach (var victim in _envelopes.RemoveBeyond(_capacity) ?? [])
        {
            _counters.Drop(DiscardReason.CacheOverflow, victim.Categories, victim.Spans);
            Delete(victim);
        }
    }

    private void Delete(PendingEnvelope envelope)
    {
        if (envelope.FilePath is { } path && !TryDelete(path))
        {
            Log.CacheDeleteFailed(_logger, path);
        }

        envelope.Dispose();
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes a link where a file of the store's own must be (deleting the link, never its target), or sets a folder
    /// there aside under a new name; either is counted as an unreadable file.
    /// </summary>
    private void SetAsideUnlessFile(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            Discard(path, "it is a symbolic link");
            File.Delete(path);
        }
        else if (System.IO.Directory.Exists(path))
        {
            var aside = string.Create(CultureInfo.InvariantCulture, $"{path}-set-aside-{DateTime.UtcNow.Ticks:D19}");
            Discard(path, $"it is a folder, moved to {Path.GetFileName(aside)}");
            System.IO.Directory.Move(path, aside);
        }
    }

    /// <summary>Counts an entry of the folder that is not an envelope as <c>internal_sdk_error</c> (one summary warning follows).</summary>
    private void Discard(string path, string problem)
    {
        _discarded++;
        _firstDiscarded ??= $"{Path.GetFileName(path)}: {problem}";
        Log.CacheFileRemoved(_logger, path, problem);
        _counters.Drop(DiscardReason.InternalSdkError, [DataCategories.Default]);
    }

    /// <summary>
    /// Loads the envelopes an earlier process left, oldest first. Everything else in the folder (temporary files of
    /// unfinished writes, unreadable or foreign files) is removed and counted as <c>internal_sdk_error</c>; folders in
    /// it are left alone.
    /// </summary>
    private int Restore()
    {
        var restored = new List<(string Path, CacheFile.Contents Contents)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name == LockFileName)
            {
                continue;
            }

            string? problem;
            if (!name.EndsWith(Extension, StringComparison.Ordinal))
            {
                problem = name.EndsWith(TemporaryExtension, StringComparison.Ordinal) ? "a write that never finished" : "not an envelope file";
            }
            else if (CacheFile.TryRead(path, out var contents, out problem))
            {
                restored.Add((path, contents));
                continue;
            }

            Discard(path, problem);
            TryDelete(path);
        }

        if (_discarded > 0)
        {
            Log.CacheFilesRemoved(_logger, _discarded, Directory, _firstDiscarded!);
        }

        for (var i = 0; i < restored.Count; i++)
        {
            var (path, contents) = restored[i];
            var lane = QueueLanes.Of(contents.Categories);
            _envelopes.Add(PendingEnvelope.FromFile(i - restored.Count, contents.EventId, contents.Categories, lane, path));
        }

        if (restored.Count > 0)
        {
            _counters.Restore(restored.Count);
            Log.CacheRestored(_logger, restored.Count, Directory);
            Evict();
        }

        return restored.Count;
    }
}
