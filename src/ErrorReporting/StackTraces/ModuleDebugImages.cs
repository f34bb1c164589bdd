using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection.PortableExecutable;
using System.Reflection;
using Sentry.Protocol;

namespace ErrorReporting.StackTraces;

/// <summary>
/// The <c>debug_meta</c> image of each managed module, as the SDK describes it for server-side symbolication
/// (<c>pe_dotnet</c>: code id, debug id, PDB checksum and file), read from the module's file once per process, where
/// the SDK's factory re-opens the file for every exception event. Thread-safe.
/// </summary>
internal sealed class ModuleDebugImages
{
    private readonly ConcurrentDictionary<Module, DebugImage?> _images = new();
    private readonly SentryOptions _options;

    public ModuleDebugImages(SentryOptions options) => _options = options;

    /// <summary>Gets the module's image, or <see langword="null"/> when its file cannot be read here or has no debug id.</summary>
    public DebugImage? Get(Module module) => _images.GetOrAdd(module, static (m, options) => Read(m, options), _options);

    [UnconditionalSuppressMessage("SingleFile", "IL3002", Justification = "Single-file and in-memory modules have no file name (\"<Unknown>\"): no image, as the SDK sends none when it cannot read the file.")]
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "As the SDK: a module that cannot be read has no debug image.")]
    private static DebugImage? Read(Module module, SentryOptions options)
    {
        try
        {
            var file = module.FullyQualifiedName;
            if (string.IsNullOrEmpty(file) || file == "<Unknown>")
            {
                return null;
            }

            using var pe = options.AssemblyReader is { } reader ? reader(file) : File.Exists(file) ? new PEReader(File.OpenRead(file)) : null;
            return pe is null ? null : Describe(pe, file);
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>The image as the wire protocol's <c>pe_dotnet</c> type has it; <see langword="null"/> without a CodeView entry (no debug id).</summary>
    internal static DebugImage? Describe(PEReader pe, string codeFile)
    {
        var headers = pe.PEHeaders;
        string? debugId = null, debugFile = null, checksum = null;
        foreach (var entry in pe.ReadDebugDirectory())
        {
            if (entry.Type == DebugDirectoryEntryType.CodeView && debugId is null)
            {
                var codeView = pe.ReadCodeViewDebugDirectoryData(entry);
                debugFile = codeView.Path;

                // A portable PDB's id is its GUID and the entry's stamp; a Windows PDB's, its GUID and age.
                debugId = entry.IsPortableCodeView
                    ? FormattableString.Invariant($"{codeView.Guid}-{entry.Stamp:x8}")
                    : FormattableString.Invariant($"{codeView.Guid}-{codeView.Age}");
            }
            else if (entry.Type == DebugDirectoryEntryType.PdbChecksum && checksum is null)
            {
                var data = pe.ReadPdbChecksumDebugDirectoryData(entry);
                checksum = data.AlgorithmName + ":" + Convert.ToHexString(data.Checksum.AsSpan()).ToLower(CultureInfo.InvariantCulture);
            }
        }

        if (debugId is null)
        {
            return null;
        }

        return new DebugImage
        {
            Type = "pe_dotnet",
            CodeId = headers.PEHeader is { } header ? FormattableString.Invariant($"{headers.CoffHeader.TimeDateStamp:X8}{header.SizeOfImage:x}") : null,
            CodeFile = codeFile,
            DebugId = debugId,
            DebugChecksum = checksum,
            DebugFile = debugFile,
        };
    }
}
