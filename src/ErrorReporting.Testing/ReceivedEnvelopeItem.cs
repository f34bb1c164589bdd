using System.Runtime.CompilerServices;
using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// One item of a <see cref="ReceivedEnvelope"/>: its header and payload exactly as received.
/// </summary>
/// <remarks>The header and the payload text are decoded from the received bytes on first use (thread-safe).</remarks>
public sealed class ReceivedEnvelopeItem
{
    private readonly ReadOnlyMemory<byte> _headerLine;
    private JsonBox? _header;
    private string? _headerJson;
    private string? _payloadText;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ReceivedEnvelopeItem(string type, ReadOnlyMemory<byte> headerLine, long? declaredLength, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        _headerLine = headerLine;
        DeclaredLength = declaredLength;
        Payload = payload;
    }

    /// <summary>Gets the item type from the item header (for example <c>event</c>, <c>client_report</c>, <c>attachment</c>).</summary>
    public string Type { get; }

    /// <summary>Gets the item header (a JSON object).</summary>
    public JsonElement Header => (Volatile.Read(ref _header) ?? LazyView.Publish(ref _header, LazyView.ParseJson(_headerLine))).Value;

    /// <summary>Gets the item header line as received.</summary>
    public string HeaderJson => Volatile.Read(ref _headerJson) ?? LazyView.Publish(ref _headerJson, LazyView.Text(_headerLine));

    /// <summary>Gets the <c>length</c> declared in the item header, or <see langword="null"/> when the header had none
    /// (the payload then ran to the next newline).</summary>
    public long? DeclaredLength { get; }

    /// <summary>Gets the payload bytes (without the newline that ends them).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Gets the payload decoded as UTF-8.</summary>
    public string PayloadText => Volatile.Read(ref _payloadText) ?? LazyView.Publish(ref _payloadText, LazyView.Text(Payload));

    /// <inheritdoc />
    public override string ToString() => $"{Type} ({Payload.Length} bytes)";
}
