using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// A frame of a received stack trace. Sentry orders frames oldest caller first, the throwing frame last.
/// </summary>
public sealed class ReceivedStackFrame
{
    internal ReceivedStackFrame(JsonElement json)
    {
        Function = JsonRead.String(json, "function");
        Module = JsonRead.String(json, "module");
        Package = JsonRead.String(json, "package");
        FileName = JsonRead.String(json, "filename");
        AbsolutePath = JsonRead.String(json, "abs_path");
        LineNumber = JsonRead.Int32(json, "lineno");
        ColumnNumber = JsonRead.Int32(json, "colno");
        InApp = JsonRead.Boolean(json, "in_app");
    }

    /// <summary>Gets <c>function</c>, or <see langword="null"/>.</summary>
    public string? Function { get; }

    /// <summary>Gets <c>module</c>, or <see langword="null"/>.</summary>
    public string? Module { get; }

    /// <summary>Gets <c>package</c>, or <see langword="null"/>.</summary>
    public string? Package { get; }

    /// <summary>Gets <c>filename</c>, or <see langword="null"/>.</summary>
    public string? FileName { get; }

    /// <summary>Gets <c>abs_path</c>, or <see langword="null"/>.</summary>
    public string? AbsolutePath { get; }

    /// <summary>Gets <c>lineno</c>, or <see langword="null"/>.</summary>
    public int? LineNumber { get; }

    /// <summary>Gets <c>colno</c>, or <see langword="null"/>.</summary>
    public int? ColumnNumber { get; }

    /// <summary>Gets <c>in_app</c>, or <see langword="null"/>.</summary>
    public bool? InApp { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Function} ({FileName}:{LineNumber})";
}
