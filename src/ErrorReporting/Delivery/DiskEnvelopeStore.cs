using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.Delivery;

/// <summary>
/// The offline cache (<c>CacheDirectoryPath</c>): every envelope is written to disk before it is sent and deleted after
/// the server took it or it was definitively dropped. A file holds the envelope as the SDK serialized it, without
/// <c>sent_at</c>: a valid Sentry envelope. Files are written atomically (temporary file, then rename) with owner-only
/// permissions, named so that their order is the order of the reports; at start-up, files left by an earlier process
/// are sent first, oldest first, with their original event ids. A corrupt or truncated file is logged, removed and
/// skipped. The cache is bounded: beyond <c>MaxCacheItems</c> the oldest envelope is evicted (counted as
/// <c>cache_overflow</c>). An exclusive lock file keeps a second process from sending the same files.
/// </summary>
internal sealed class DiskEnvelopeStore : IEnvelopeStore
{
    internal const string Extension = ".envelope";
    internal const string TemporaryExtension = ".tmp";
    internal const string LockFileName = ".lock";

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly EnvelopeList _envelopes = new();
    private readonly string _directory;
    private readonly int _capacity;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly Action _onAdded;
    private readonly FileStream _lock;
    private readonly ArrayBufferWriter<byte> _buffer = new(8 * 1024);
    private long _fileCounter;

    private DiskEnvelopeStore(string directory, FileStream lockFile, int capacity, DeliveryCounters counters, ILogger logger, Action onAdded)
    {
        _directory = directory;
        _lock = lockFile;
        _capacity = capacity;
        _counters = counters;
        _logger = logger;
        _onAdded = onAdded;
    }

    public string Directory => _directory;

    public int Count => _envelopes.Count;

    public long OldestSequence => _envelopes.OldestSequence;

    /// <summary>
    /// Opens the cache for a DSN under <paramref name="root"/> (a folder per DSN), restoring what an earlier process left.
    /// Returns <see langword="null"/> when another process holds the cache or it cannot be used (logged).
    /// </summary>
    public static DiskEnvelopeStore? Open(string root, string dsnIdentity, int capacity, DeliveryCounters counters, ILogger logger, Action onAdded)
    {
        var directory = Path.Combine(Path.GetFullPath(root), Hash(dsnIdentity));
        FileStream? lockFile = null;
        try
        {
            CreateOwnerOnlyDirectory(root);
            CreateOwnerOnlyDirectory(directory);
            lockFile = new FileStream(Path.Combine(directory, LockFileName), OwnerOnly(FileMode.OpenOrCreate, FileAccess.ReadWrite));
            var store = new DiskEnvelopeStore(directory, lockFile, capacity, counters, logger, onAdded);
            store.Restore();
            return store;
        }
        catch (IOException exception)
        {
            lockFile?.Dispose();
            Log.CacheUnavailable(logger, exception, directory);
            return null;
        }
        catch (UnauthorizedAccessException exception)
        {
            lockFile?.Dispose();
            Log.CacheUnavailable(logger, exception, directory);
            return null;
        }
    }

    public ValueTask AddAsync(PendingEnvelope envelope, CancellationToken cancellationToken)
    {
        string? path = null;
        try
        {
            _buffer.ResetWrittenCount();
            _buffer.Write(envelope.Header);
            _buffer.Write("\n"u8);
            _buffer.Write(envelope.Items);
            path = Path.Combine(_directory, FileName(envelope));
            WriteAtomically(path, _buffer.WrittenSpan);
            envelope.MoveToFile(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The disk is full or gone: keep the envelope in memory so it is still sent by this process.
            Log.CacheWriteFailed(_logger, exception, path ?? _directory);
        }

        _envelopes.TryAdd(envelope);
        Evict();
        _onAdded();
        return ValueTask.CompletedTask;
    }

    public void PeekOldest(List<PendingEnvelope> into, int count) => _envelopes.PeekOldest(into, count);

    public void Remove(PendingEnvelope envelope)
    {
        if (_envelopes.Remove(envelope) >= 0)
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

        _lock.Dispose();
    }

    internal static string Hash(string dsnIdentity)
        => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(dsnIdentity)).AsSpan(0, 8)).ToLowerInvariant();

    private static void CreateOwnerOnlyDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
        }
        else
        {
            System.IO.Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    private static FileStreamOptions OwnerOnly(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return options;
    }

    private static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + TemporaryExtension;
        using (var file = new FileStream(temporary, OwnerOnly(FileMode.CreateNew, FileAccess.Write)))
        {
            file.Write(content);
        }

        File.Move(temporary, path);
    }

    private string FileName(PendingEnvelope envelope)
    {
        // Ordinal order of names = order of reports: UTC ticks, then a per-process counter.
        var counter = Interlocked.Increment(ref _fileCounter);
        var id = envelope.EventId == SentryId.Empty ? "none" : envelope.EventId.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId:D7}-{counter:D9}-{id}{Extension}");
    }

    /// <summary>Deletes the oldest envelopes beyond the capacity (never one being sent), counted as <c>cache_overflow</c>.</summary>
    private void Evict()
    {
        foreach (var victim in _envelopes.RemoveOldestBeyond(_capacity) ?? [])
        {
            Delete(victim);
            _counters.Drop(DiscardReason.CacheOverflow, victim.Categories);
        }
    }

    private void Delete(PendingEnvelope envelope)
    {
        try
        {
            if (envelope.FilePath is { } path)
            {
                File.Delete(path);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log.CacheWriteFailed(_logger, exception, envelope.FilePath!);
        }
        finally
        {
            envelope.Dispose();
        }
    }

    /// <summary>Loads the envelopes an earlier process left, oldest first; removes leftovers and corrupt files.</summary>
    private void Restore()
    {
        foreach (var temporary in System.IO.Directory.EnumerateFiles(_directory, "*" + TemporaryExtension))
        {
            File.Delete(temporary); // a write that a killed process never finished (its report was never persisted)
        }

        var restored = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + Extension).Order(StringComparer.Ordinal))
        {
            if (TryReadStored(path, out var eventId, out var categories, out var problem))
            {
                _envelopes.TryAdd(PendingEnvelope.FromFile(PendingEnvelope.RestoredSequence, eventId, categories, path));
                restored++;
            }
            else
            {
                Log.CorruptCacheFile(_logger, path, problem);
                File.Delete(path);
            }
        }

        if (restored > 0)
        {
            _counters.Restore(restored);
            Log.CacheRestored(_logger, restored, _directory);
        }

        Evict();
    }

    /// <summary>
    /// Checks a cache file's framing (a JSON header line, then items whose <c>length</c> matches the bytes) and reads
    /// the header's event id and the items' data categories.
    /// </summary>
    private static bool TryReadStored(string path, out SentryId eventId, out string[] categories, [NotNullWhen(false)] out string? problem)
    {
        eventId = SentryId.Empty;
        categories = [];
        try
        {
            var bytes = File.ReadAllBytes(path);
            var headerEnd = bytes.AsSpan().IndexOf((byte)'\n');
            if (headerEnd < 0)
            {
                problem = "no header line";
                return false;
            }

            using (var header = JsonDocument.Parse(bytes.AsMemory(0, headerEnd)))
            {
                if (header.RootElement.ValueKind != JsonValueKind.Object)
                {
                    problem = "the header is not a JSON object";
                    return false;
                }

                if (header.RootElement.TryGetProperty("event_id", out var id))
                {
                    if (!Guid.TryParse(id.GetString(), out var guid))
                    {
                        problem = "the header's event_id is invalid";
                        return false;
                    }

                    eventId = new SentryId(guid);
                }
            }

            var found = new List<string>();
            var position = headerEnd + 1;
            while (position < bytes.Length)
            {
                var lineEnd = bytes.AsSpan(position).IndexOf((byte)'\n');
                if (lineEnd < 0)
                {
                    problem = "an item header is truncated";
                    return false;
                }

                using var itemHeader = JsonDocument.Parse(bytes.AsMemory(position, lineEnd));
                var length = itemHeader.RootElement.GetProperty("length").GetInt32();
                var type = itemHeader.RootElement.TryGetProperty("type", out var typeElement) ? typeElement.GetString() : null;
                position += lineEnd + 1 + length;
                if (length < 0 || position >= bytes.Length || bytes[position] != (byte)'\n')
                {
                    problem = "an item is shorter than its length";
                    return false;
                }

                position++;
                found.Add(DataCategories.FromItemType(type));
            }

            categories = [.. found];
            problem = found.Count == 0 ? "it holds no item" : null;
            return found.Count > 0;
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problem = exception.Message;
            return false;
        }
    }
}
