using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using ErrorReporting.Events;

namespace ErrorReporting.Processing;

/// <summary>
/// Turns an exception's stack trace into Sentry frames (oldest first). What depends only on the method (names,
/// package, in-app flag) is computed once per method and cached; file and line come from the symbols per frame.
/// Used by the worker only (not thread-safe).
/// </summary>
internal sealed class StackFrameReader : IDisposable
{
    internal const int MaxFrames = 100;
    private const int MaxCachedMethods = 8192;

    private readonly Dictionary<MethodBase, MethodFrameData> _methods = new(ReferenceEqualityComparer.Instance);
    private readonly SourceLocations _sources = new();
    private readonly string[] _inAppExclude;
    private readonly string[] _inAppInclude;

    public StackFrameReader(IEnumerable<string> inAppExclude, IEnumerable<string> inAppInclude)
    {
        _inAppExclude = [.. inAppExclude.Where(p => !string.IsNullOrWhiteSpace(p))];
        _inAppInclude = [.. inAppInclude.Where(p => !string.IsNullOrWhiteSpace(p))];
    }

    /// <summary>
    /// Adds the frames of a thrown exception to <paramref name="target"/>; adds nothing for an exception that was never thrown.
    /// Keeps the newest <see cref="MaxFrames"/> frames.
    /// </summary>
    public void AddFrames(Exception exception, SentryExceptionValue target)
    {
        // Methods and IL offsets come from the runtime cheaply; file and line come from the cached symbols.
        var frames = new StackTrace(exception, fNeedFileInfo: false).GetFrames();
        var count = Math.Min(frames.Length, MaxFrames);
        if (count == 0)
        {
            return;
        }

        StackFrame[]? withFileInfo = null;
        target.EnsureFrameCapacity(count);
        for (var i = count - 1; i >= 0; i--)
        {
            var method = GetMethod(frames[i]);
            if (method is null)
            {
                // Native AOT keeps reflection metadata for few methods, but the runtime still names each frame.
                if (DescribeWithoutMetadata(frames[i].ToString()) is { } described)
                {
                    target.Frames.Add(new SentryStackFrame { Function = described.Function, Module = described.Module, InApp = described.InApp });
                }

                continue;
            }

            if (!_sources.TryGet(method, frames[i].GetILOffset(), out var location))
            {
                // Symbols this reader cannot open (e.g. a single-file app): ask the runtime, once per exception.
                withFileInfo ??= new StackTrace(exception, fNeedFileInfo: true).GetFrames();
                var runtimeFrame = i < withFileInfo.Length ? withFileInfo[i] : null;
                location = new SourceLocation(runtimeFrame?.GetFileName(), runtimeFrame?.GetFileLineNumber() ?? 0, runtimeFrame?.GetFileColumnNumber() ?? 0);
            }

            var data = GetMethodData(method);
            target.Frames.Add(new SentryStackFrame
            {
                Function = data.Function,
                Module = data.Module,
                Package = data.Package,
                InApp = data.InApp,
                FileName = location.File,
                LineNumber = location.Line > 0 ? location.Line : null,
                ColumnNumber = location.Column > 0 ? location.Column : null,
            });
        }
    }

    public void Dispose() => _sources.Dispose();

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A frame whose method metadata was trimmed is skipped; nothing else depends on it.")]
    private static MethodBase? GetMethod(StackFrame frame) => frame.GetMethod();

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

        data = Describe(method);
        _methods[method] = data;
        return data;
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

        var ns = type.Namespace ?? string.Empty;
        return new MethodFrameData(function, type.FullName ?? type.Name, type.Assembly.FullName, IsInApp(ns));
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

        var ns = type is not null && type.LastIndexOf('.') is var nsDot and > 0 ? type[..nsDot] : string.Empty;
        return new MethodFrameData(function, type, Package: null, IsInApp(ns));
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

    /// <summary>The application's own code: an <c>InAppInclude</c> prefix wins over an <c>InAppExclude</c> one.</summary>
    private bool IsInApp(string ns) => MatchesAny(ns, _inAppInclude) || !MatchesAny(ns, _inAppExclude);

    private static bool MatchesAny(string ns, string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            if (ns.StartsWith(prefix, StringComparison.Ordinal) && (ns.Length == prefix.Length || ns[prefix.Length] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    internal sealed record MethodFrameData(string Function, string? Module, string? Package, bool InApp);
}
