using System.Text;
using System.Text.Json;

namespace ErrorReporting.Testing;

/// <summary>
/// One item of a <see cref="ReceivedEnvelope"/>: its header and payload exactly as received.
/// </summary>
public sealed class ReceivedEnvelopeItem
{
    internal ReceivedEnvelopeItem(string type, JsonElement header, string headerJson, long? declaredLength, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        Header = header;
        HeaderJson = headerJson;
        DeclaredLength = declaredLength;
        Payload = payload;
    }

    /// <summary>Gets the item type from the item header (for example <c>event</c>, <c>client_report</c>, <c>attachment</c>).</summary>
    public string Type { get; }

    /// <summary>Gets the item header (a JSON object).</summary>
    public JsonElement Header { get; }

    /// <summary>Gets the item header line as received.</summary>
    public string HeaderJson { get; }

    /// <summary>Gets the <c>length</c> declared in the item header, or <see langword="null"/> when the header had none
    /// (the payload then ran to the next newline).</summary>
    public long? DeclaredLength { get; }

    /// <summary>Gets the payload bytes (without the newline that ends them).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Gets the payload decoded as UTF-8.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload.Span);

    /// <inheritdoc />
    public override string ToString() => $"{Type} ({Payload.Length} bytes)";
}
