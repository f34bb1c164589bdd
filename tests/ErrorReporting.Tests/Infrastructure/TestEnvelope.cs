using System.Text;
using System.Text.Json;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// An envelope as the transport received it (uncompressed), split into header and items for assertions.
/// Framing is checked strictly: every item header must carry the exact UTF-8 <c>length</c> and lines end in LF.
/// </summary>
internal sealed class TestEnvelope
{
    private TestEnvelope(byte[] bytes, JsonElement header, IReadOnlyList<(JsonElement Header, byte[] Payload)> items)
    {
        Bytes = bytes;
        Header = header;
        Items = items;
        Event = items.Where(i => i.Header.GetProperty("type").GetString() == "event").Select(i => (JsonElement?)JsonDocument.Parse(i.Payload).RootElement).FirstOrDefault();
        ClientReport = items.Where(i => i.Header.GetProperty("type").GetString() == "client_report").Select(i => (JsonElement?)JsonDocument.Parse(i.Payload).RootElement).FirstOrDefault();
    }

    public byte[] Bytes { get; }

    public JsonElement Header { get; }

    public IReadOnlyList<(JsonElement Header, byte[] Payload)> Items { get; }

    public JsonElement? Event { get; }

    public JsonElement? ClientReport { get; }

    /// <summary>Gets the item types, in order.</summary>
    public IReadOnlyList<string?> ItemTypes => Items.Select(i => i.Header.GetProperty("type").GetString()).ToList();

    /// <summary>Gets the sum of the quantities of every client report item for a reason (and a category, when given).</summary>
    public long Discarded(string reason, string? category = null)
        => Items.Where(i => i.Header.GetProperty("type").GetString() == "client_report")
            .SelectMany(i => JsonDocument.Parse(i.Payload).RootElement.GetProperty("discarded_events").EnumerateArray())
            .Where(d => d.GetProperty("reason").GetString() == reason && (category is null || d.GetProperty("category").GetString() == category))
            .Sum(d => d.GetProperty("quantity").GetInt64());

    /// <summary>Gets every (reason, category) of the client report items, with its quantity.</summary>
    public IReadOnlyList<(string Reason, string Category, long Quantity)> Discards
        => Items.Where(i => i.Header.GetProperty("type").GetString() == "client_report")
            .SelectMany(i => JsonDocument.Parse(i.Payload).RootElement.GetProperty("discarded_events").EnumerateArray())
            .Select(d => (d.GetProperty("reason").GetString()!, d.GetProperty("category").GetString()!, d.GetProperty("quantity").GetInt64()))
            .ToList();

    public string? HeaderEventId => Header.TryGetProperty("event_id", out var id) ? id.GetString() : null;

    /// <summary>Gets the event payload (fails the test when the envelope has none).</summary>
    public JsonElement EventJson => Event ?? throw new Xunit.Sdk.XunitException("The envelope carries no event.");

    /// <summary>Gets the last <c>exception.values</c> entry: the reported exception, whose mechanism decides <c>handled</c>.</summary>
    public JsonElement LastException => EventJson.GetProperty("exception").GetProperty("values").EnumerateArray().Last();

    public static TestEnvelope Parse(byte[] bytes)
    {
        Assert.DoesNotContain((byte)'\r', bytes.AsSpan(0, Math.Min(bytes.Length, IndexOfNewLine(bytes, 0) + 1)).ToArray());
        var position = 0;
        var header = ReadLine(bytes, ref position);
        var items = new List<(JsonElement, byte[])>();
        while (position < bytes.Length)
        {
            var itemHeader = ReadLine(bytes, ref position);
            var length = itemHeader.GetProperty("length").GetInt32();
            var payload = bytes.AsSpan(position, length).ToArray();
            position += length;
            Assert.True(position == bytes.Length || bytes[position] == (byte)'\n', "An item payload is not followed by LF at its declared length.");
            position++;
            items.Add((itemHeader, payload));
        }

        return new TestEnvelope(bytes, header, items);
    }

    public override string ToString() => Encoding.UTF8.GetString(Bytes);

    private static JsonElement ReadLine(byte[] bytes, ref int position)
    {
        var end = IndexOfNewLine(bytes, position);
        Assert.True(end >= 0, "A header line is not terminated by LF.");
        var line = bytes.AsSpan(position, end - position);
        Assert.False(line.EndsWith("\r"u8), "CRLF line ending.");
        position = end + 1;
        return JsonDocument.Parse(line.ToArray()).RootElement.Clone();
    }

    private static int IndexOfNewLine(byte[] bytes, int start)
    {
        var index = bytes.AsSpan(start).IndexOf((byte)'\n');
        return index < 0 ? -1 : start + index;
    }
}
