using System.Text;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// What a hostile or careless hand can leave in an offline cache folder: files whose contents only look like an
/// envelope, and entries that are not regular files. Each kind has a name, so a test table reads as the list of cases.
/// </summary>
internal static class CraftedCacheFiles
{
    private const string Id = "0123456789abcdef0123456789abcdef";

    /// <summary>Writes a file with the contents of <paramref name="kind"/>.</summary>
    public static void Write(string path, string kind)
    {
        if (kind == "over-200-mib")
        {
            // Sparse: the size without the disk space.
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            file.Write(Encoding.UTF8.GetBytes($"{{\"event_id\":\"{Id}\"}}\n"));
            file.SetLength((200L * 1024 * 1024) + 1);
            return;
        }

        File.WriteAllBytes(path, Contents(kind));
    }

    /// <summary>Gets the contents of a crafted cache file.</summary>
    public static byte[] Contents(string kind) => kind switch
    {
        "length-int64-max" => Envelope("{\"type\":\"event\",\"length\":9223372036854775807}", "{}"),
        "length-negative" => Envelope("{\"type\":\"event\",\"length\":-1}", "{}"),
        "length-1e30" => Envelope("{\"type\":\"event\",\"length\":1e30}", "{}"),
        "length-string" => Envelope("{\"type\":\"event\",\"length\":\"12\"}", "{}"),
        "length-past-the-end" => Envelope("{\"type\":\"event\",\"length\":200}", "{}"),
        "item-longer-than-its-length" => Envelope("{\"type\":\"event\",\"length\":1}", "{}"),
        "header-trailing-garbage" => Utf8($"{{\"event_id\":\"{Id}\"}} and more\n{{\"type\":\"event\",\"length\":2}}\n{{}}\n"),
        "item-header-trailing-garbage" => Envelope("{\"type\":\"event\",\"length\":2}{}", "{}"),
        "header-array" => Utf8("[1,2]\n{\"type\":\"event\",\"length\":2}\n{}\n"),
        "event-id-invalid" => Utf8("{\"event_id\":\"not-an-id\"}\n{\"type\":\"event\",\"length\":2}\n{}\n"),
        "event-id-invalid-utf8" => [.. Utf8("{\"event_id\":\""), 0xff, 0xfe, .. Utf8("\"}\n{\"type\":\"event\",\"length\":2}\n{}\n")],
        "item-type-invalid-utf8" => [.. Utf8($"{{\"event_id\":\"{Id}\"}}\n{{\"type\":\""), 0xc3, 0x28, .. Utf8("\",\"length\":2}\n{}\n")],
        "item-type-number" => Envelope("{\"type\":7,\"length\":2}", "{}"),
        "deep-nesting" => Utf8(new string('[', 10_000) + new string(']', 10_000) + "\n{\"type\":\"event\",\"length\":2}\n{}\n"),
        "binary-junk" => Junk(),
        "empty" => [],
        "header-only" => Utf8($"{{\"event_id\":\"{Id}\"}}\n"),
        "truncated" => Utf8($"{{\"event_id\":\"{Id}\"}}\n{{\"type\":\"event\",\"len"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No such crafted file."),
    };

    /// <summary>
    /// Makes an entry of <paramref name="kind"/> in <paramref name="folder"/> (sorting before any envelope file) and
    /// returns its path; <paramref name="outside"/> is a regular file outside the cache that links point to.
    /// </summary>
    public static string MakeEntry(string folder, string kind, string outside)
    {
        var path = Path.Combine(folder, "0000000000000000001-" + kind + ".envelope");
        switch (kind)
        {
            case "fifo":
                UnixFiles.MakeFifo(path);
                break;
            case "symlink-to-a-file-outside":
                File.CreateSymbolicLink(path, outside);
                break;
            case "symlink-dangling":
                File.CreateSymbolicLink(path, Path.Combine(Path.GetDirectoryName(outside)!, "missing", "file"));
                break;
            case "symlink-loop":
                File.CreateSymbolicLink(path, path);
                break;
            case "foreign-file":
                path = Path.Combine(folder, "notes.txt");
                File.WriteAllText(path, "my notes");
                break;
            case "tmp-leftover":
                path += ".tmp";
                File.WriteAllText(path, "{\"event_id\"");
                break;
            default:
                Write(path, kind);
                break;
        }

        return path;
    }

    /// <summary>
    /// Makes the cache's lock entry (replacing the file) something other than a regular file; <paramref name="dangling"/> is a path outside
    /// the cache, in a folder that exists, that a dangling link points to.
    /// </summary>
    public static void MakeLockEntry(string path, string kind, string outside, string dangling)
    {
        File.Delete(path);
        switch (kind)
        {
            case "directory":
                Directory.CreateDirectory(path);
                break;
            case "directory-with-files":
                Directory.CreateDirectory(path);
                File.WriteAllText(Path.Combine(path, "inside"), "kept");
                break;
            case "fifo":
                UnixFiles.MakeFifo(path);
                break;
            case "symlink-to-a-file-outside":
                File.CreateSymbolicLink(path, outside);
                break;
            case "symlink-dangling":
                File.CreateSymbolicLink(path, dangling);
                break;
            case "symlink-loop":
                File.CreateSymbolicLink(path, path);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "No such lock entry.");
        }
    }

    private static byte[] Envelope(string itemHeader, string payload) => Utf8($"{{\"event_id\":\"{Id}\"}}\n{itemHeader}\n{payload}\n");

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Junk()
    {
        var bytes = new byte[4096];
        new Random(19).NextBytes(bytes);
        bytes[100] = (byte)'\n';
        return bytes;
    }
}
