using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// The <c>mechanism</c> of a received exception value: how the exception was caught and whether it was handled.
/// </summary>
public sealed class ReceivedMechanism
{
    internal ReceivedMechanism(JsonElement json)
    {
        Type = JsonRead.String(json, "type");
        Handled = JsonRead.Boolean(json, "handled");
        Description = JsonRead.String(json, "description");
        Source = JsonRead.String(json, "source");
        HelpLink = JsonRead.String(json, "help_link");
        Synthetic = JsonRead.Boolean(json, "synthetic");
        IsExceptionGroup = JsonRead.Boolean(json, "is_exception_group");
        ExceptionId = JsonRead.Int32(json, "exception_id");
        ParentId = JsonRead.Int32(json, "parent_id");
        Data = JsonRead.StringMap(JsonRead.Property(json, "data"));
    }

    /// <summary>Gets <c>mechanism.type</c> (for example <c>generic</c>, <c>chained</c>, <c>AppDomain.UnhandledException</c>), or <see langword="null"/>.</summary>
    public string? Type { get; }

    /// <summary>Gets <c>mechanism.handled</c>, or <see langword="null"/> when absent (Sentry then sets no <c>handled</c> tag).</summary>
    public bool? Handled { get; }

    /// <summary>Gets <c>mechanism.description</c>, or <see langword="null"/>.</summary>
    public string? Description { get; }

    /// <summary>Gets <c>mechanism.source</c> (for example <c>InnerException</c>), or <see langword="null"/>.</summary>
    public string? Source { get; }

    /// <summary>Gets <c>mechanism.help_link</c>, or <see langword="null"/>.</summary>
    public string? HelpLink { get; }

    /// <summary>Gets <c>mechanism.synthetic</c>, or <see langword="null"/>.</summary>
    public bool? Synthetic { get; }

    /// <summary>Gets <c>mechanism.is_exception_group</c>, or <see langword="null"/>.</summary>
    public bool? IsExceptionGroup { get; }

    /// <summary>Gets <c>mechanism.exception_id</c>, or <see langword="null"/>.</summary>
    public int? ExceptionId { get; }

    /// <summary>Gets <c>mechanism.parent_id</c>, or <see langword="null"/>.</summary>
    public int? ParentId { get; }

    /// <summary>Gets <c>mechanism.data</c> (non-string values as their JSON text). Empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Data { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Type} (handled: {(Handled is { } handled ? (handled ? "yes" : "no") : "--")})";
}
