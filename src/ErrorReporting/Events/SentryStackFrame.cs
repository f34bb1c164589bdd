namespace ErrorReporting.Events;

/// <summary>
/// One frame of a stack trace.
/// </summary>
public sealed class SentryStackFrame
{
    /// <summary>Gets or sets the method name (async and iterator methods by their source name).</summary>
    public string? Function { get; set; }

    /// <summary>Gets or sets the full name of the declaring type.</summary>
    public string? Module { get; set; }

    /// <summary>Gets or sets the declaring assembly's full name.</summary>
    public string? Package { get; set; }

    /// <summary>Gets or sets the source file path, when the symbols (PDB) are available.</summary>
    public string? FileName { get; set; }

    /// <summary>Gets or sets the 1-based line number, when the symbols are available.</summary>
    public int? LineNumber { get; set; }

    /// <summary>Gets or sets the 1-based column number, when the symbols are available.</summary>
    public int? ColumnNumber { get; set; }

    /// <summary>Gets or sets a value indicating whether the frame is the application's own code.</summary>
    public bool? InApp { get; set; }
}
