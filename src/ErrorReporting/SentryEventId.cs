using System.Diagnostics.CodeAnalysis;

namespace ErrorReporting;

/// <summary>
/// The id of a reported event: the <c>event_id</c> written in the envelope header and in the event payload.
/// Its text form (<see cref="ToString()"/>) is 32 lowercase hexadecimal characters, as Sentry shows it.
/// </summary>
public readonly struct SentryEventId : IEquatable<SentryEventId>, ISpanFormattable, IUtf8SpanFormattable
{
    private readonly Guid _value;

    /// <summary>
    /// Initializes a new instance of the <see cref="SentryEventId"/> struct from a <see cref="Guid"/>.
    /// </summary>
    /// <param name="value">The id's value.</param>
    public SentryEventId(Guid value) => _value = value;

    /// <summary>
    /// Gets the empty id (all zeros), returned when a report was not accepted (disabled, sampled out, queue full).
    /// </summary>
    public static SentryEventId Empty => default;

    /// <summary>
    /// Gets a value indicating whether this is <see cref="Empty"/>.
    /// </summary>
    public bool IsEmpty => _value == Guid.Empty;

    /// <summary>
    /// Parses the 32-hex-digit form (the hyphenated GUID form is accepted too).
    /// </summary>
    /// <param name="value">The text to parse.</param>
    /// <returns>The parsed id.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException"><paramref name="value"/> is not an event id.</exception>
    public static SentryEventId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var id) ? id : throw new FormatException($"'{value}' is not a Sentry event id (32 hexadecimal characters).");
    }

    /// <summary>
    /// Tries to parse the 32-hex-digit form (the hyphenated GUID form is accepted too).
    /// </summary>
    /// <param name="value">The text to parse.</param>
    /// <param name="id">The parsed id, or <see cref="Empty"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="value"/> is an event id.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out SentryEventId id)
    {
        if (value is not null && (Guid.TryParseExact(value, "N", out var guid) || Guid.TryParseExact(value, "D", out guid)))
        {
            id = new SentryEventId(guid);
            return true;
        }

        id = Empty;
        return false;
    }

    /// <summary>
    /// Returns the id as a <see cref="Guid"/>.
    /// </summary>
    /// <returns>The id's value.</returns>
    public Guid ToGuid() => _value;

    /// <summary>
    /// Returns the 32 lowercase hexadecimal characters Sentry shows for this event.
    /// </summary>
    /// <returns>The id's text form.</returns>
    public override string ToString() => _value.ToString("N");

    /// <inheritdoc />
    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    /// <remarks><paramref name="format"/> and <paramref name="provider"/> are ignored: the id is always written as 32 lowercase hexadecimal characters.</remarks>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        => _value.TryFormat(destination, out charsWritten, "N");

    /// <inheritdoc />
    /// <remarks><paramref name="format"/> and <paramref name="provider"/> are ignored: the id is always written as 32 lowercase hexadecimal characters.</remarks>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
        => _value.TryFormat(utf8Destination, out bytesWritten, "N");

    /// <inheritdoc />
    public bool Equals(SentryEventId other) => _value.Equals(other._value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SentryEventId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Compares two ids for equality.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(SentryEventId left, SentryEventId right) => left.Equals(right);

    /// <summary>Compares two ids for inequality.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> when not equal.</returns>
    public static bool operator !=(SentryEventId left, SentryEventId right) => !left.Equals(right);
}
