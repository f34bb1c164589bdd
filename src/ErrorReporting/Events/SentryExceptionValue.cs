namespace ErrorReporting.Events;

/// <summary>
/// One entry of an event's <c>exception.values</c>.
/// </summary>
public sealed class SentryExceptionValue
{
    private List<SentryStackFrame>? _frames;

    /// <summary>Gets or sets the exception's full type name (<c>type</c>).</summary>
    public string? Type { get; set; }

    /// <summary>Gets or sets the exception's message (<c>value</c>).</summary>
    public string? Value { get; set; }

    /// <summary>Gets or sets the full name of the assembly that defines the exception type (<c>module</c>).</summary>
    public string? Module { get; set; }

    /// <summary>Gets the stack frames, oldest (outermost caller) first, the throwing frame last. Empty when the exception was never thrown.</summary>
    public IList<SentryStackFrame> Frames => _frames ??= [];

    /// <summary>Gets or sets how the exception was caught.</summary>
    public SentryMechanism? Mechanism { get; set; }

    internal List<SentryStackFrame>? FramesOrNull => _frames;

    internal void EnsureFrameCapacity(int capacity) => (_frames ??= new List<SentryStackFrame>(capacity)).EnsureCapacity(capacity);
}
