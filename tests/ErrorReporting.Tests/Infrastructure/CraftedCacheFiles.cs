using System.Text;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// What a hostile or careless hand can leave in an offline cache folder: files whose contents only look like an
/// envelope, and entries that are not regular files. Each kind has a name, so a test table reads as the list of cases.
/// </summary>
internal static class CraftedCacheFiles
{
    /// <summary>The kinds of <see cref="Contents(string)"/>: files that only look like an envelope.</summary>
    public static readonly string[] ContentKinds =
    [
        "length-int64-max", "length-negative", "length-1e30", "length-string", "length-past-the-end", "item-longer-than-its-length",
        "header-trailing-garbage", "item-header-trailing-garbage", "header-array", "event-id-invalid", "event-id-invalid-utf8",
        "item-type-invalid-utf8", "item-type-number", "deep-nesting", "binary-junk", "empty", "header-only", "truncated", "over-200-mib",
    ];

    /// <summary>The kinds of <see cref="MakeEntry"/> beyond the contents: entries that are not envelope files.</summary>
    public static readonly string[] ForeignKinds = ["fifo", "symlink-to-a-file-outside", "symlink-dangling", "symlink-loop", "foreign-file", "tmp-leftover"];

    /// <summary>The kinds of <see cref="MakeLockEntry"/>.</summary>
    public static readonly string[] LockKinds = ["directory", "directory-with-files", "fifo", "symlink-to-a-file-outside", "symlink-dangling", "symlink-loop"];

    private const string Id = "0123456789abcdef0123456789abcdef";

    /// <summary>Gets every kind of <see cref="MakeEntry"/>, for a theory.</summary>
    public static TheoryData<string> EveryEntry => new([.. ContentKinds, .. ForeignKinds]);

    /// <summary>Gets every kind of <see cref="MakeLockEntry"/>, for a theory.</summary>
    public static TheoryData<string> EveryLockEntry => new(LockKinds);

    /// <summary>Gets the path a dangling link points to: beside <paramref name="outside"/>, in a folder that exists, so that following the link would create it.</summary>
    public static string DanglingTarget(string outside) => Path.Combine(Path.GetDirectoryName(outside)!, "created-through-the-link");

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
    /// Makes an entry of <paramref name="kind"/> (<see cref="ContentKinds"/>, <see cref="ForeignKinds"/>) in
    /// <paramref name="folder"/>, sorting before any envelope file, and returns its path; <paramref name="outside"/> is a
    /// regular file outside the cache that links point to.
    /// </summary>
    public static string MakeEntry(string folder, string kind, string outside)
    {
        var path = Path.Combine(folder, "0000000000000000001-" + kind + ".envelope");
        switch (kind)
        {
            case "foreign-file":
                path = Path.Combine(folder, "notes.txt");
                File.WriteAllText(path, "my notes");
                break;
            case "tmp-leftover":
                path += ".tmp";
                File.WriteAllText(path, "{\"event_id\"");
                break;
            default:
                if (!TryMakeSpecial(path, kind, outside))
                {
                    Write(path, kind);
                }

                break;
        }

        return path;
    }

    /// <summary>Makes the cache's lock entry (<paramref name="path"/>, replacing the file there) an entry of <paramref name="kind"/> (<see cref="LockKinds"/>).</summary>
    public static void MakeLockEntry(string path, string kind, string outside)
    {
        File.Delete(path);
        if (!TryMakeSpecial(path, kind, outside))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "No such lock entry.");
        }
    }

    /// <summary>Makes an entry that is not a regular file: a folder, a FIFO or a link.</summary>
    private static bool TryMakeSpecial(string path, string kind, string outside)
    {
        switch (kind)
        {
            case "directory":
                Directory.CreateDirectory(path);
                return true;
            case "directory-with-files":
                Directory.CreateDirectory(path);
                File.WriteAllText(Path.Combine(path, "inside"), "kept");
                return true;
            case "fifo":
                UnixFiles.MakeFifo(path);
                return true;
            case "symlink-to-a-file-outside":
                File.CreateSymbolicLink(path, outside);
                return true;
            case "symlink-dangling":
                File.CreateSymbolicLink(path, DanglingTarget(outside));
                return true;
            case "symlink-loop":
                File.CreateSymbolicLink(path, path);
                return true;
            default:
                return false;
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
