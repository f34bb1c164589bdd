using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace ErrorReporting.Testing.Internal;

/// <summary>A parsed envelope: the header line, its <c>event_id</c>, and the items, all sliced from the envelope bytes.</summary>
internal sealed class ParsedEnvelope(ReadOnlyMemory<byte> headerLine, string? eventId, ReceivedEnvelopeItem[] items)
{
    public ReadOnlyMemory<byte> HeaderLine { get; } = headerLine;

    public string? EventId { get; } = eventId;

    public ReceivedEnvelopeItem[] Items { get; } = items;
}

/// <summary>
/// Parses Sentry envelopes as strictly as Relay does: <c>Headers { "\n" Item } [ "\n" ]</c>, where every header is a
/// single-line JSON object, an item's <c>length</c> (when present) is its exact payload byte count followed by
/// <c>\n</c> or the end of the data, and a payload without <c>length</c> runs to the next <c>\n</c>. Line endings are
/// <c>\n</c> only: a <c>\r\n</c> is an error. Headers must be readable text (valid UTF-8, no unpaired surrogate escapes).
/// </summary>
/// <remarks>
/// No DOM is built: each header is checked in one pass by <see cref="JsonFastScan"/>, or, when that is unsure, by
/// <see cref="JsonScan"/> (a <see cref="Utf8JsonReader"/> pass, which also words the refusals). The typed views
/// (<see cref="ReceivedEnvelope.Header"/>, <see cref="ReceivedEnvelopeItem.Header"/>) parse the kept bytes on first use.
/// </remarks>
internal static class EnvelopeParser
{
    private const byte NewLine = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    private static readonly (byte[] Utf8, string Text)[] s_knownItemTypes =
    [
        .. new[]
        {
            "event", "client_report", "attachment", "session", "sessions", "transaction", "user_report", "feedback",
            "check_in", "profile", "profile_chunk", "replay_event", "replay_recording", "replay_video", "span", "log",
            "otel_log", "statsd", "metric_meta", "raw_security",
        }.Select(type => (Encoding.UTF8.GetBytes(type), type)),
    ];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParse(ReadOnlyMemory<byte> data, out ParsedEnvelope? envelope, out string? error)
    {
        envelope = null;
        var span = data.Span;
        if (span.IsEmpty)
        {
            error = "the envelope is empty: expected a JSON object header line";
            return false;
        }

        var position = 0;
        if (!TryReadLine(data, ref position, out var headerLine))
        {
            error = Refusal.EndsWithCarriageReturn("envelope header");
            return false;
        }

        // The fast check decides the usual header; anything it is unsure of goes through the exact one.
        var header = new EnvelopeHeaderFacts();
        if (!JsonFastScan.TryCheckObject(headerLine.Span, ref header) && !TryCheckEnvelopeHeader(headerLine, out header, out error))
        {
            return false;
        }

        if (header.DuplicateKey is { } duplicate)
        {
            error = Refusal.DuplicateKey(duplicate);
            return false;
        }

        if (header.EventIdKind != JsonTokenType.None && (header.EventIdKind != JsonTokenType.String || !IsEventId(header.EventId)))
        {
            error = Refusal.EventId(headerLine);
            return false;
        }

        if (header.SentAtKind is not (JsonTokenType.None or JsonTokenType.String))
        {
            error = Refusal.SentAt(headerLine);
            return false;
        }

        var items = Array.Empty<ReceivedEnvelopeItem>();
        var count = 0;
        while (position < span.Length)
        {
            var index = count;
            if (!TryReadLine(data, ref position, out var itemHeaderLine))
            {
                error = Refusal.ItemHeaderEndsWithCarriageReturn(index);
                return false;
            }

            var itemHeader = default(ItemHeaderVisitor);
            if (!JsonFastScan.TryCheckObject(itemHeaderLine.Span, ref itemHeader))
            {
                itemHeader = default;
                if (CheckHeaderObject(itemHeaderLine, ref itemHeader, index) is { } itemHeaderError)
                {
                    error = itemHeaderError;
                    return false;
                }
            }

            if (itemHeader.Type is not { Length: > 0 } type)
            {
                error = Refusal.NoType(index, itemHeaderLine);
                return false;
            }

            long? declaredLength = null;
            ReadOnlyMemory<byte> payload;
            if (itemHeader.LengthKind != JsonTokenType.None)
            {
                if (!itemHeader.LengthIsInteger || itemHeader.Length < 0)
                {
                    error = Refusal.Length(index, itemHeaderLine);
                    return false;
                }

                var length = itemHeader.Length;
                declaredLength = length;
                var available = span.Length - position;
                if (length > available)
                {
                    error = Refusal.LengthBeyondData(index, type, length, available);
                    return false;
                }

                payload = data.Slice(position, (int)length);
                position += (int)length;
                if (position < span.Length)
                {
                    if (span[position] != NewLine)
                    {
                        error = Refusal.AfterPayload(index, type, length, span[position]);
                        return false;
                    }

                    position++;
                }
            }
            else if (!TryReadLine(data, ref position, out payload))
            {
                error = Refusal.PayloadEndsWithCarriageReturn(index, type);
                return false;
            }

            if (count == items.Length)
            {
                Array.Resize(ref items, Math.Max(1, count * 2));
            }

            items[count++] = new ReceivedEnvelopeItem(type, itemHeaderLine, declaredLength, payload);
        }

        if (count != items.Length)
        {
            Array.Resize(ref items, count);
        }

        envelope = new ParsedEnvelope(headerLine, header.EventId, items);
        error = null;
        return true;
    }

    /// <summary>The exact check of the envelope header, with <see cref="Utf8JsonReader"/>: for what the fast one is unsure of, and to word refusals.</summary>
    private static bool TryCheckEnvelopeHeader(ReadOnlyMemory<byte> headerLine, out EnvelopeHeaderFacts facts, out string? error)
    {
        facts = default;
        var header = new EnvelopeHeaderVisitor();
        try
        {
            if (CheckHeaderObject(headerLine, ref header, "envelope header") is { } headerError)
            {
                error = headerError;
                return false;
            }

            facts = new EnvelopeHeaderFacts(header.FindDuplicateKey(headerLine.Span), header.EventIdKind, header.EventId, header.SentAtKind);
            error = null;
            return true;
        }
        finally
        {
            header.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsEventId(string? value)
        => value is not null && (FastText.IsPlainEventId(value) || Guid.TryParseExact(value, "N", out _) || Guid.TryParseExact(value, "D", out _));

    internal static string Shorten(string text, int max = 200) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    /// <summary>Reads up to the next <c>\n</c> (consumed) or the end of the data; returns <see langword="false"/> when the line ends with <c>\r</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadLine(ReadOnlyMemory<byte> data, ref int position, out ReadOnlyMemory<byte> line)
    {
        var rest = data.Span[position..];
        var newLine = FastText.IndexOfNewLine(rest);
        var length = newLine < 0 ? rest.Length : newLine;
        line = data.Slice(position, length);
        position += newLine < 0 ? length : length + 1;
        return length == 0 || rest[length - 1] != CarriageReturn;
    }

    /// <summary>Checks a header line; returns the error, or <see langword="null"/> when it is a readable JSON object.</summary>
    private static string? CheckHeaderObject<TVisitor>(ReadOnlyMemory<byte> line, ref TVisitor visitor, string what)
        where TVisitor : struct, ITopLevelVisitor
    {
        if (line.IsEmpty)
        {
            return Refusal.EmptyHeader(what);
        }

        var problem = JsonScan.CheckObject(line.Span, ref visitor, out var detail);
        return problem == JsonProblem.None ? null : Refusal.HeaderObject(what, problem, detail, line);
    }

    /// <inheritdoc cref="CheckHeaderObject{TVisitor}(ReadOnlyMemory{byte}, ref TVisitor, string)"/>
    private static string? CheckHeaderObject<TVisitor>(ReadOnlyMemory<byte> line, ref TVisitor visitor, int itemIndex)
        where TVisitor : struct, ITopLevelVisitor
    {
        if (line.IsEmpty)
        {
            return Refusal.EmptyHeader(Refusal.ItemHeader(itemIndex));
        }

        var problem = JsonScan.CheckObject(line.Span, ref visitor, out var detail);
        return problem == JsonProblem.None ? null : Refusal.HeaderObject(Refusal.ItemHeader(itemIndex), problem, detail, line);
    }

    /// <summary>Interns the common item types; reads any other as a new string.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ReadItemType(ref Utf8JsonReader reader)
    {
        foreach (var (utf8, text) in s_knownItemTypes)
        {
            if (reader.ValueTextEquals(utf8))
            {
                return text;
            }
        }

        return JsonScan.TryGetString(ref reader);
    }

    /// <summary>The item type of an unescaped string: interned when common.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string ItemType(ReadOnlySpan<byte> utf8)
    {
        foreach (var (known, text) in s_knownItemTypes)
        {
            if (utf8.SequenceEqual(known))
            {
                return text;
            }
        }

        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>The envelope header: every top-level key (for the duplicate check), <c>event_id</c> and <c>sent_at</c>.</summary>
    private struct EnvelopeHeaderVisitor : ITopLevelVisitor, IDisposable
    {
        /// <summary>Up to this many keys are compared pairwise; beyond, with a hash set.</summary>
        private const int PairwiseLimit = 16;

        private const int EventIdProperty = 0;
        private const int SentAtProperty = 1;
        private const int OtherProperty = 2;

        /// <summary>The largest key array kept for reuse.</summary>
        private const int MaxCachedKeys = 64;

        [ThreadStatic]
        private static KeyRef[]? s_cachedKeys;

        private KeyRef[]? _keys;
        private int _keyCount;

        /// <summary>Gets the token of the <c>event_id</c> value: <see cref="JsonTokenType.None"/> when absent or <c>null</c>.</summary>
        public JsonTokenType EventIdKind { get; private set; }

        public string? EventId { get; private set; }

        /// <summary>Gets the token of the <c>sent_at</c> value: <see cref="JsonTokenType.None"/> when absent or <c>null</c>.</summary>
        public JsonTokenType SentAtKind { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int OnName(ref Utf8JsonReader reader)
        {
            _keys ??= s_cachedKeys ?? new KeyRef[8];
            s_cachedKeys = null;
            if (_keyCount == _keys.Length)
            {
                Array.Resize(ref _keys, _keys.Length * 2);
            }

            // TokenStartIndex is the opening quote; the name's bytes follow it.
            _keys[_keyCount++] = reader.ValueIsEscaped
                ? new KeyRef(0, 0, JsonScan.TryGetString(ref reader) ?? "")
                : new KeyRef(checked((int)reader.TokenStartIndex) + 1, reader.ValueSpan.Length, null);

            return reader.ValueTextEquals("event_id"u8) ? EventIdProperty : reader.ValueTextEquals("sent_at"u8) ? SentAtProperty : OtherProperty;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnValue(int id, ref Utf8JsonReader reader)
        {
            var kind = reader.TokenType == JsonTokenType.Null ? JsonTokenType.None : reader.TokenType;
            if (id == EventIdProperty)
            {
                EventIdKind = kind;
                EventId = kind == JsonTokenType.String ? JsonScan.TryGetString(ref reader) : null;
            }
            else if (id == SentAtProperty)
            {
                SentAtKind = kind;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly string? FindDuplicateKey(ReadOnlySpan<byte> line)
        {
            if (_keys is null || _keyCount < 2)
            {
                return null;
            }

            var keys = _keys.AsSpan(0, _keyCount);
            if (keys.Length > PairwiseLimit)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var key in keys)
                {
                    var name = key.Name(line);
                    if (!seen.Add(name))
                    {
                        return name;
                    }
                }

                return null;
            }

            for (var later = 1; later < keys.Length; later++)
            {
                for (var earlier = 0; earlier < later; earlier++)
                {
                    if (keys[earlier].SameAs(keys[later], line))
                    {
                        return keys[later].Name(line);
                    }
                }
            }

            return null;
        }

        /// <summary>Keeps the key array for the thread's next envelope (a small one only).</summary>
        public void Dispose()
        {
            if (_keys is { Length: <= MaxCachedKeys } keys)
            {
                Array.Clear(keys, 0, _keyCount);
                s_cachedKeys = keys;
            }

            _keys = null;
            _keyCount = 0;
        }
    }

    /// <summary>A top-level key of the envelope header: its bytes in the line, or its unescaped text when it had escapes.</summary>
    private readonly record struct KeyRef(int Start, int Length, string? Unescaped)
    {
        public string Name(ReadOnlySpan<byte> line) => Unescaped ?? Encoding.UTF8.GetString(line.Slice(Start, Length));

        public bool SameAs(KeyRef other, ReadOnlySpan<byte> line)
            => Unescaped is null && other.Unescaped is null
                ? line.Slice(Start, Length).SequenceEqual(line.Slice(other.Start, other.Length))
                : string.Equals(Name(line), other.Name(line), StringComparison.Ordinal);
    }

    /// <summary>An item header: the last <c>type</c> and <c>length</c> (as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> would find them).</summary>
    private struct ItemHeaderVisitor : ITopLevelVisitor, IFastMemberVisitor
    {
        private const int TypeProperty = 0;
        private const int LengthProperty = 1;

        /// <summary>Gets the type when the last <c>type</c> is a string, else <see langword="null"/>.</summary>
        public string? Type { get; private set; }

        /// <summary>Gets the token of the last <c>length</c> value: <see cref="JsonTokenType.None"/> when absent or <c>null</c>.</summary>
        public JsonTokenType LengthKind { get; private set; }

        public bool LengthIsInteger { get; private set; }

        public long Length { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly int OnName(ref Utf8JsonReader reader)
            => reader.ValueTextEquals("type"u8) ? TypeProperty : reader.ValueTextEquals("length"u8) ? LengthProperty : -1;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnValue(int id, ref Utf8JsonReader reader)
        {
            if (id == TypeProperty)
            {
                Type = reader.TokenType == JsonTokenType.String ? ReadItemType(ref reader) : null;
                return;
            }

            LengthKind = reader.TokenType == JsonTokenType.Null ? JsonTokenType.None : reader.TokenType;
            var length = 0L;
            LengthIsInteger = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out length);
            Length = length;
        }

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool OnMember(ReadOnlySpan<byte> json, Range name, JsonTokenType kind, Range value, bool valueEscaped)
        {
            var key = json[name];
            if (key.SequenceEqual("type"u8))
            {
                if (kind == JsonTokenType.String && valueEscaped)
                {
                    return false;
                }

                Type = kind == JsonTokenType.String ? ItemType(json[value]) : null;
            }
            else if (key.SequenceEqual("length"u8))
            {
                // As Utf8JsonReader.TryGetInt64: the whole number text must parse as a long.
                LengthKind = kind == JsonTokenType.Null ? JsonTokenType.None : kind;
                var length = 0L;
                LengthIsInteger = kind == JsonTokenType.Number && Utf8Parser.TryParse(json[value], out length, out var consumed) && consumed == json[value].Length;
                Length = LengthIsInteger ? length : 0;
            }

            return true;
        }
    }

    /// <summary>The facts of an envelope header that matter: its first repeated key, <c>event_id</c> and <c>sent_at</c>. Found by the fast check (as a visitor) or the exact one.</summary>
    private struct EnvelopeHeaderFacts : IFastMemberVisitor
    {
        private KeyRanges _keys;
        private int _keyCount;

        public EnvelopeHeaderFacts(string? duplicateKey, JsonTokenType eventIdKind, string? eventId, JsonTokenType sentAtKind)
        {
            DuplicateKey = duplicateKey;
            EventIdKind = eventIdKind;
            EventId = eventId;
            SentAtKind = sentAtKind;
        }

        public string? DuplicateKey { get; private set; }

        /// <summary>Gets the token of the <c>event_id</c> value: <see cref="JsonTokenType.None"/> when absent or <c>null</c>.</summary>
        public JsonTokenType EventIdKind { get; private set; }

        public string? EventId { get; private set; }

        /// <summary>Gets the token of the <c>sent_at</c> value: <see cref="JsonTokenType.None"/> when absent or <c>null</c>.</summary>
        public JsonTokenType SentAtKind { get; private set; }

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool OnMember(ReadOnlySpan<byte> json, Range name, JsonTokenType kind, Range value, bool valueEscaped)
        {
            if (_keyCount == KeyRanges.Length)
            {
                return false;
            }

            var key = json[name];
            for (var earlier = 0; earlier < _keyCount && DuplicateKey is null; earlier++)
            {
                if (json[_keys[earlier]].SequenceEqual(key))
                {
                    DuplicateKey = Encoding.UTF8.GetString(key);
                }
            }

            _keys[_keyCount++] = name;
            if (key.SequenceEqual("event_id"u8))
            {
                if (kind == JsonTokenType.String && valueEscaped)
                {
                    return false;
                }

                EventIdKind = kind == JsonTokenType.Null ? JsonTokenType.None : kind;
                EventId = kind == JsonTokenType.String ? Encoding.UTF8.GetString(json[value]) : null;
            }
            else if (key.SequenceEqual("sent_at"u8))
            {
                SentAtKind = kind == JsonTokenType.Null ? JsonTokenType.None : kind;
            }

            return true;
        }
    }

    /// <summary>Room for the keys of an envelope header (a header with more goes through the exact check).</summary>
    [InlineArray(Length)]
    private struct KeyRanges
    {
        public const int Length = 16;

        private Range _element;
    }
}
