using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// One entry of a received event's <c>exception.values</c>. Sentry orders them innermost first: the last value is
/// the exception that was reported.
/// </summary>
public sealed class ReceivedExceptionValue
{
    internal ReceivedExceptionValue(JsonElement json)
    {
        Type = JsonRead.String(json, "type");
        Value = JsonRead.String(json, "value");
        Module = JsonRead.String(json, "module");
        ThreadId = JsonRead.Scalar(json, "thread_id");
        Mechanism = JsonRead.Object(json, "mechanism") is { } mechanism ? new ReceivedMechanism(mechanism) : null;
        Frames = JsonRead.Values(JsonRead.Property(JsonRead.Object(json, "stacktrace"), "frames"))
            .Where(frame => frame.ValueKind == JsonValueKind.Object)
            .Select(frame => new ReceivedStackFrame(frame))
            .ToArray();
    }

    /// <summary>Gets <c>type</c> (for example <c>System.InvalidOperationException</c>), or <see langword="null"/>.</summary>
    public string? Type { get; }

    /// <summary>Gets <c>value</c> (the exception message), or <see langword="null"/>.</summary>
    public string? Value { get; }

    /// <summary>Gets <c>module</c>, or <see langword="null"/>.</summary>
    public string? Module { get; }

    /// <summary>Gets <c>thread_id</c> as text, or <see langword="null"/>.</summary>
    public string? ThreadId { get; }

    /// <summary>Gets the mechanism, or <see langword="null"/> when the value has none.</summary>
    public ReceivedMechanism? Mechanism { get; }

    /// <summary>Gets the frames of <c>stacktrace.frames</c>, oldest caller first. Empty when there is no stack trace.</summary>
    public IReadOnlyList<ReceivedStackFrame> Frames { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Type}: {Value}";
}
