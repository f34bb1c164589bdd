using ErrorReporting.Delivery.Store;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>An offline cache folder as tests prepare and inspect it.</summary>
internal static class OfflineCache
{
    /// <summary>Gets the envelope files under a <c>CacheDirectoryPath</c> (every DSN's folder).</summary>
    public static List<string> Files(string cacheDirectory)
        => Directory.Exists(cacheDirectory) ? [.. Directory.EnumerateFiles(cacheDirectory, "*" + DiskEnvelopeStore.Extension, SearchOption.AllDirectories)] : [];

    /// <summary>Gets the folder of a DSN under a <c>CacheDirectoryPath</c>.</summary>
    public static string Folder(string cacheDirectory, string dsn) => Path.Combine(cacheDirectory, "ErrorReporting", DiskEnvelopeStore.Hash(dsn));

    /// <summary>
    /// Leaves <paramref name="count"/> envelopes in the cache as an earlier process would: reports while nothing
    /// listens at the DSN, and stops. Returns their event ids, sorted.
    /// </summary>
    public static async Task<List<string>> LeaveAsync(string dsn, string cacheDirectory, int count)
    {
        await using var earlier = EngineHarness.ForDsn(dsn, o => o.CacheDirectoryPath = cacheDirectory);
        var ids = Enumerable.Range(0, count).Select(i => earlier.Message($"left {i}").ToString()).Order().ToList();
        await Wait.UntilAsync(() => Files(cacheDirectory).Count == count, $"{count} envelopes in the cache");
        return ids;
    }
}
