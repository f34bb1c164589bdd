using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ErrorReporting.StackTraces;

/// <summary>
/// File, line and column of a frame from the module's portable PDB (next to the assembly or embedded in it), cached
/// per method and IL offset: the same throw site costs a dictionary lookup the second time, where the runtime's own
/// lookup (<c>new StackTrace(exception, true)</c>) opens and reads the symbols again on every call. Same rule as the
/// runtime: the last visible sequence point at or before the IL offset. Thread-safe: callers' threads share it. The
/// symbols read stay in memory for the life of the cache (one reader per module that throws).
/// </summary>
internal sealed class SourceLocations
{
    private const int MaxCachedLocations = 16384;

    private readonly ConcurrentDictionary<Module, ModuleSymbols?> _modules = new();
    private readonly ConcurrentDictionary<(MethodBase Method, int ILOffset), SourceLocation> _locations = new();
    private readonly object _opening = new();

    /// <summary>
    /// Finds the source location of an IL offset in a method. Returns <see langword="false"/> when this module's
    /// symbols cannot be read here (the caller then asks the runtime); <paramref name="location"/> has no file when
    /// the symbols are read but hold nothing for the offset.
    /// </summary>
    public bool TryGet(MethodBase method, int ilOffset, out SourceLocation location)
    {
        if (_locations.TryGetValue((method, ilOffset), out location))
        {
            return true;
        }

        var symbols = GetSymbols(method.Module);
        if (symbols is null)
        {
            return false;
        }

        location = symbols.Find(method.MetadataToken, ilOffset);
        if (_locations.Count >= MaxCachedLocations)
        {
            _locations.Clear();
        }

        _locations.TryAdd((method, ilOffset), location);
        return true;
    }

    private ModuleSymbols? GetSymbols(Module module)
    {
        if (_modules.TryGetValue(module, out var symbols))
        {
            return symbols;
        }

        lock (_opening)
        {
            // Opened once per module, whichever thread asks first.
            return _modules.GetOrAdd(module, ModuleSymbols.TryOpen);
        }
    }

    /// <summary>A module's portable PDB and the documents' names read from it. Reading a <see cref="MetadataReader"/> is thread-safe.</summary>
    private sealed class ModuleSymbols
    {
        private readonly MetadataReaderProvider _provider;
        private readonly MetadataReader _reader;
        private readonly ConcurrentDictionary<DocumentHandle, string> _documents = new();

        private ModuleSymbols(MetadataReaderProvider provider)
        {
            _provider = provider;
            _reader = provider.GetMetadataReader();
        }

        [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty Location (single-file, in-memory assemblies) means no symbols are opened here; the runtime's lookup is used instead.")]
        public static ModuleSymbols? TryOpen(Module module)
        {
            try
            {
                var location = module.Assembly.Location;
                if (string.IsNullOrEmpty(location) || !File.Exists(location))
                {
                    return null;
                }

                using var pe = new PEReader(File.OpenRead(location));
                foreach (var entry in pe.ReadDebugDirectory())
                {
                    if (entry.Type == DebugDirectoryEntryType.EmbeddedPortablePdb)
                    {
                        return new ModuleSymbols(pe.ReadEmbeddedPortablePdbDebugDirectoryData(entry));
                    }
                }

                foreach (var entry in pe.ReadDebugDirectory())
                {
                    if (entry.Type != DebugDirectoryEntryType.CodeView)
                    {
                        continue;
                    }

                    var codeView = pe.ReadCodeViewDebugDirectoryData(entry);
                    foreach (var candidate in new[] { codeView.Path, Path.Combine(Path.GetDirectoryName(location)!, Path.GetFileName(codeView.Path)) })
                    {
                        if (IsPortablePdb(candidate))
                        {
                            using var stream = File.OpenRead(candidate);
                            return new ModuleSymbols(MetadataReaderProvider.FromPortablePdbStream(stream, MetadataStreamOptions.PrefetchMetadata));
                        }
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException or ArgumentException or NotSupportedException)
            {
                // Unreadable or Windows-format symbols: the runtime's lookup is used instead.
            }

            return null;
        }

        public SourceLocation Find(int methodToken, int ilOffset)
        {
            if (ilOffset < 0)
            {
                return default;
            }

            try
            {
                var handle = MetadataTokens.MethodDefinitionHandle(methodToken);
                var information = _reader.GetMethodDebugInformation(handle);
                SequencePoint? best = null;
                foreach (var point in information.GetSequencePoints())
                {
                    if (point.Offset > ilOffset)
                    {
                        break;
                    }

                    if (!point.IsHidden)
                    {
                        best = point;
                    }
                }

                if (best is not { } found)
                {
                    return default;
                }

                var file = _documents.GetOrAdd(found.Document, static (document, reader) => reader.GetString(reader.GetDocument(document).Name), _reader);

                return new SourceLocation(file, found.StartLine, found.StartColumn);
            }
            catch (Exception exception) when (exception is BadImageFormatException or ArgumentException or InvalidOperationException)
            {
                return default;
            }
        }

        private static bool IsPortablePdb(string path)
        {
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                return false;
            }

            Span<byte> signature = stackalloc byte[4];
            using var stream = File.OpenRead(path);
            return stream.Read(signature) == 4 && signature.SequenceEqual("BSJB"u8);
        }
    }
}

/// <summary>A frame's place in the source; <see cref="File"/> is <see langword="null"/> when unknown.</summary>
internal readonly record struct SourceLocation(string? File, int Line, int Column);
