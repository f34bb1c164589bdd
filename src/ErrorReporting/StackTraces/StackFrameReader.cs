using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics;
using System.Reflection;
using Sentry.Protocol;

namespace ErrorReporting.StackTraces;

/// <summary>
/// Turns an exception's stack trace into Sentry frames (oldest first), as the SDK's factory in
/// <see cref="StackTraceMode.Original"/> mode names them, for a fraction of its cost: what depends only on the method
/// (function, module, package, in-app flag, function id) is computed once per method and cached; file, line and column
/// come from <see cref="SourceLocations"/>, cached per method and IL offset. Thread-safe: callers' threads share it.
/// </summary>
internal sealed class StackFrameReader
{
    private const int MaxCachedMethods = 8192;

    private readonly ConcurrentDictionary<MethodBase, MethodFrameData> _methods = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<string, MethodFrameData?> _withoutMetadata = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Assembly, string?> _projectDirectories = new();
    private readonly ConcurrentDictionary<string, string> _relativeFiles = new(ReferenceEqualityComparer.Instance);
    private readonly SourceLocations _sources = new();
    private readonly ModuleDebugImages _images;
    private readonly SentryOptions _options;

    public StackFrameReader(SentryOptions options)
    {
        _options = options;
        _images = new ModuleDebugImages(options);
    }

    /// <summary>
    /// Reads the frames of a thrown exception, oldest first; none for an exception that was never thrown. With
    /// <paramref name="images"/>, adds each frame's module debug image (or <see langword="null"/>) to it, one per frame.
    /// </summary>
    public List<SentryStackFrame> ReadFrames(Exception exception, List<DebugImage?>? images = null)
    {
        // Methods and IL offsets come from the runtime cheaply; file and line come from the cached symbols.
        var frames = new StackTrace(exception, fNeedFileInfo: false).GetFrames();
        var result = new List<SentryStackFrame>(frames.Length);
        images?.EnsureCapacity(images.Count + frames.Length);
        StackFrame[]? withFileInfo = null;
        for (var i = frames.Length - 1; i >= 0; i--)
        {
            var method = GetMethod(frames[i]);
            if (method is null)
            {
                // Native AOT keeps reflection metadata for few methods, but the runtime still names each frame.
                if (DescribeWithoutMetadataCached(frames[i].ToString()) is { } described)
                {
                    result.Add(new SentryStackFrame { Function = described.Function, Module = described.Module, InApp = described.InApp });
                    images?.Add(null);
                }

                continue;
            }

            var ilOffset = frames[i].GetILOffset();
            if (!_sources.TryGet(method, ilOffset, out var location))
            {
                // Symbols this reader cannot open (e.g. a single-file app): ask the runtime, once per exception.
                withFileInfo ??= new StackTrace(exception, fNeedFileInfo: true).GetFrames();
                var runtimeFrame = i < withFileInfo.Length ? withFileInfo[i] : null;
                location = new SourceLocation(runtimeFrame?.GetFileName(), runtimeFrame?.GetFileLineNumber() ?? 0, runtimeFrame?.GetFileColumnNumber() ?? 0);
            }

            var data = GetMethodData(method);
            var frame = new SentryStackFrame
            {
                Function = data.Function,
                Module = data.Module,
                Package = data.Package,
                InApp = data.InApp,
                FunctionId = data.FunctionId,
                InstructionAddress = ilOffset >= 0 ? ilOffset : null,
                LineNumber = location.Line > 0 ? location.Line : null,
                ColumnNumber = location.Column > 0 ? location.Column : null,
            };
            SetFile(frame, location.File, data.ProjectDirectory);
            result.Add(frame);
            images?.Add(data.Image);
        }

        return result;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A frame whose method metadata was trimmed is named from the runtime's text instead.")]
    private static MethodBase? GetMethod(StackFrame frame) => frame.GetMethod();

    /// <summary>
    /// As the SDK: a file under the assembly's project directory is sent relative, with the full path as
    /// <c>abs_path</c>. The relative name is cut once per file (the symbols give the same string instance for a
    /// document every time), not for every frame of every event.
    /// </summary>
    private void SetFile(SentryStackFrame frame, string? file, string? projectDirectory)
    {
        if (file is null)
        {
            return;
        }

        if (projectDirectory is not null && file.StartsWith(projectDirectory, StringComparison.OrdinalIgnoreCase))
        {
            frame.AbsolutePath = file;
            if (!_relativeFiles.TryGetValue(file, out var relative))
            {
                if (_relativeFiles.Count >= MaxCachedMethods)
                {
                    _relativeFiles.Clear();
                }

                relative = _relativeFiles.GetOrAdd(file, file[projectDirectory.Length..]);
            }

            file = relative;
        }

        frame.FileName = file;
    }

    private MethodFrameData GetMethodData(MethodBase method)
    {
        if (_methods.TryGetValue(method, out var data))
        {
            return data;
        }

        if (_methods.Count >= MaxCachedMethods)
        {
            _methods.Clear();
        }

        return _methods.GetOrAdd(method, Describe(method));
    }

    private MethodFrameData? DescribeWithoutMetadataCached(string text)
    {
        if (_withoutMetadata.TryGetValue(text, out var data))
        {
            return data;
        }

        if (_withoutMetadata.Count >= MaxCachedMethods)
        {
            _withoutMetadata.Clear();
        }

        return _withoutMetadata.GetOrAdd(text, DescribeWithoutMetadata(text));
    }

    private MethodFrameData Describe(MethodBase method)
    {
        var type = method.DeclaringType;
        if (type is null)
        {
            // A dynamic method (compiled expression, minimal-API request delegate): generated code, not the application's.
            return new MethodFrameData(method.Name, Module: null, Package: null, InApp: false);
        }

        var generated = type.Name.StartsWith('<') && type.DeclaringType is not null;
        var function = SourceFunction(type.Name, method.Name, generated);
        if (generated)
        {
            type = type.DeclaringType!;
        }

        var module = type.FullName ?? type.Name;
        var package = type.Assembly.FullName;
        // As the SDK: the function id (for server-side symbolication) only with the module's debug image.
        var image = method.Module.Assembly.IsDynamic ? null : _images.Get(method.Module);
        return new MethodFrameData(function, module, package, InApp(module, method.Module.Assembly.IsDynamic))
        {
            Image = image,
            FunctionId = image is null ? null : FunctionId(method),
            ProjectDirectory = _projectDirectories.GetOrAdd(method.Module.Assembly, ProjectDirectory),
        };
    }

    /// <summary>The SDK's in-app rule (its <c>InAppInclude</c> and <c>InAppExclude</c>), applied once per method.</summary>
    private bool InApp(string module, bool dynamicAssembly)
    {
        if (dynamicAssembly)
        {
            return false;
        }

        var probe = new SentryStackFrame { Module = module };
        probe.ConfigureAppFrame(_options);
        return probe.InApp ?? true;
    }

    /// <summary>The method's row in its module's method table, as the SDK sends it for server-side symbolication.</summary>
    private static long? FunctionId(MethodBase method)
    {
        try
        {
            var token = method.MetadataToken;
            return (token & 0xFF000000) == 0x06000000 ? token & 0x00FFFFFF : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The project directory the Sentry package's build records in the assembly (<c>AssemblyMetadata("Sentry.ProjectDirectory", …)</c>).</summary>
    private static string? ProjectDirectory(Assembly assembly)
    {
        try
        {
            foreach (var attribute in assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
            {
                if (attribute.Key == "Sentry.ProjectDirectory")
                {
                    return attribute.Value;
                }
            }
        }
        catch (Exception exception) when (exception is TypeLoadException or FileNotFoundException or NotSupportedException)
        {
            // Attributes that cannot be loaded: paths stay as the symbols give them.
        }

        return null;
    }

    /// <summary>
    /// Describes a frame whose method has no metadata from the text the runtime gives it, as Native AOT does:
    /// <c>Namespace.Type.Method(Int32) + 0x36 at offset 54 in file:line:column &lt;filename unknown&gt;:0:0</c>.
    /// Returns <see langword="null"/> when the text names no method.
    /// </summary>
    internal MethodFrameData? DescribeWithoutMetadata(string text)
    {
        var end = text.IndexOf(" + 0x", StringComparison.Ordinal);
        var signature = (end >= 0 ? text[..end] : text).Trim();
        var parameters = signature.IndexOf('(', StringComparison.Ordinal);
        var qualified = parameters >= 0 ? signature[..parameters] : signature;
        if (qualified.Length == 0 || !(char.IsLetter(qualified[0]) || qualified[0] == '_') || qualified.Contains(' ', StringComparison.Ordinal))
        {
            return null; // "<unknown>", a bare address
        }

        var dot = qualified.LastIndexOf('.');
        var method = dot >= 0 ? qualified[(dot + 1)..] : qualified;
        var type = dot > 0 ? qualified[..dot] : null;
        var typeDot = type?.LastIndexOf('.') ?? -1;
        var typeName = type is null ? string.Empty : type[(typeDot + 1)..];
        var generated = typeName.StartsWith('<') && typeDot > 0;
        var function = SourceFunction(typeName, method, generated);
        if (generated)
        {
            type = type![..typeDot];
        }

        return new MethodFrameData(function, type, Package: null, type is null || InApp(type, dynamicAssembly: false));
    }

    /// <summary>
    /// Names a method as written in source, for frames read from metadata and from text alike:
    /// <list type="bullet">
    /// <item>async/iterator state machine <c>&lt;Name&gt;d__3.MoveNext</c>: <c>Name</c>;</item>
    /// <item>lambda <c>&lt;&gt;c.&lt;Name&gt;b__0_0</c>: <c>Name.lambda</c>;</item>
    /// <item>local function <c>&lt;Name&gt;g__Local|0_0</c>: <c>Name.Local</c>;</item>
    /// <item>top-level statements <c>&lt;Main&gt;$</c>, <c>&lt;&lt;Main&gt;$&gt;b__0_3</c>: <c>Main</c>, <c>Main.lambda</c>.</item>
    /// </list>
    /// <paramref name="inGeneratedType"/> says that <paramref name="typeName"/> is a compiler-generated type nested in
    /// the source type, which the caller then reports instead.
    /// </summary>
    internal static string SourceFunction(string typeName, string methodName, bool inGeneratedType)
    {
        var function = methodName;
        if (inGeneratedType && methodName == "MoveNext" && TryGetSourceName(typeName, out var stateMachineOf, out _))
        {
            function = stateMachineOf;
        }

        if (!TryGetSourceName(function, out var outer, out var end))
        {
            return function;
        }

        var kind = end + 1 < function.Length ? function[end + 1] : ' ';
        return kind switch
        {
            'g' when function.IndexOf("__", end, StringComparison.Ordinal) is var start and >= 0 && function.IndexOf('|', start) is var bar and > 0
                => $"{outer}.{function[(start + 2)..bar]}",
            'b' => $"{outer}.lambda",
            _ => outer,
        };
    }

    /// <summary>
    /// Reads the source name from a compiler-generated name <c>&lt;Name&gt;…</c>, where the name may itself be generated
    /// (<c>&lt;&lt;Main&gt;$&gt;…</c>). <paramref name="end"/> is the index of the closing <c>&gt;</c>.
    /// </summary>
    internal static bool TryGetSourceName(string generated, out string name, out int end)
    {
        name = generated;
        end = -1;
        if (!generated.StartsWith('<'))
        {
            return false;
        }

        var depth = 0;
        for (var i = 0; i < generated.Length; i++)
        {
            depth += generated[i] switch { '<' => 1, '>' => -1, _ => 0 };
            if (depth == 0)
            {
                end = i;
                break;
            }
        }

        if (end <= 1)
        {
            return false;
        }

        name = generated[1..end];
        if (name == "<Main>$")
        {
            name = "Main"; // the entry point generated for top-level statements
        }
        else if (TryGetSourceName(name, out var inner, out _))
        {
            name = inner;
        }

        return true;
    }

    internal sealed record MethodFrameData(string Function, string? Module, string? Package, bool InApp)
    {
        public long? FunctionId { get; init; }

        /// <summary>Gets the debug image of the method's module, shared by all its frames (never changed).</summary>
        public DebugImage? Image { get; init; }

        public string? ProjectDirectory { get; init; }
    }
}
