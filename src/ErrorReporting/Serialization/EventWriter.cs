using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ErrorReporting.Events;

namespace ErrorReporting.Serialization;

/// <summary>
/// Writes a <see cref="SentryEvent"/> as Sentry event JSON with <see cref="Utf8JsonWriter"/> (no reflection). What
/// is the same for every event of the process (<c>contexts</c>, <c>sdk</c>) is serialized once and copied.
/// </summary>
internal sealed class EventWriter
{
    private static readonly JsonWriterOptions s_writerOptions = new() { SkipValidation = true };

    private readonly byte[] _contexts;
    private readonly byte[] _sdk;

    public EventWriter()
    {
        _contexts = RuntimeContexts.Create();
        _sdk = Prewrite(static writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, SdkInfo.Name);
            writer.WriteString("version"u8, SdkInfo.Version);
            writer.WriteStartArray("packages"u8);
            writer.WriteStartObject();
            writer.WriteString("name"u8, SdkInfo.PackageName);
            writer.WriteString("version"u8, SdkInfo.Version);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>Gets the <c>sdk</c> object (also used in envelope headers).</summary>
    public ReadOnlySpan<byte> Sdk => _sdk;

    /// <summary>
    /// Writes the event. With <paramref name="reduced"/>, stack frames and extra data are left out (for events over Sentry's size limit).
    /// </summary>
    public void Write(Utf8JsonWriter writer, SentryEvent sentryEvent, bool reduced = false)
    {
        writer.WriteStartObject();
        WriteEventId(writer, "event_id"u8, sentryEvent.EventId);
        writer.WriteString("timestamp"u8, sentryEvent.Timestamp);
        writer.WriteString("platform"u8, "csharp"u8);
        writer.WriteString("level"u8, LevelName(sentryEvent.Level));
        if (sentryEvent.Message is { } message)
        {
            writer.WriteStartObject("logentry"u8);
            WriteString(writer, "message"u8, message, SentryLimits.Message);
            writer.WriteEndObject();
        }

        WriteOptional(writer, "transaction"u8, sentryEvent.Transaction, SentryLimits.Field);
        WriteOptional(writer, "server_name"u8, sentryEvent.ServerName, SentryLimits.Field);
        WriteOptional(writer, "release"u8, sentryEvent.Release, SentryLimits.Release);
        WriteOptional(writer, "environment"u8, sentryEvent.Environment, SentryLimits.Environment);
        if (sentryEvent.ExceptionsOrNull is { Count: > 0 } exceptions)
        {
            WriteExceptions(writer, exceptions, reduced);
        }

        if (sentryEvent.Request is { } request)
        {
            WriteRequest(writer, request);
        }

        writer.WritePropertyName("contexts"u8);
        writer.WriteRawValue(_contexts, skipInputValidation: true);
        if (sentryEvent.User is { } user)
        {
            WriteUser(writer, user);
        }

        if (sentryEvent.TagsOrNull is { Count: > 0 } tags)
        {
            WriteTags(writer, tags);
        }

        if (!reduced && sentryEvent.ExtraOrNull is { Count: > 0 } extra)
        {
            writer.WritePropertyName("extra"u8);
            WriteObject(writer, extra, depth: 0);
        }

        if (sentryEvent.FingerprintOrNull is { Count: > 0 } fingerprint)
        {
            writer.WriteStartArray("fingerprint"u8);
            foreach (var part in fingerprint)
            {
                WriteStringValue(writer, part ?? string.Empty, SentryLimits.Field);
            }

            writer.WriteEndArray();
        }

        writer.WritePropertyName("sdk"u8);
        writer.WriteRawValue(_sdk, skipInputValidation: true);
        writer.WriteEndObject();
    }

    public static ReadOnlySpan<byte> LevelName(SentryLevel level) => level switch
    {
        SentryLevel.Debug => "debug"u8,
        SentryLevel.Info => "info"u8,
        SentryLevel.Warning => "warning"u8,
        SentryLevel.Fatal => "fatal"u8,
        _ => "error"u8,
    };

    public static void WriteEventId(Utf8JsonWriter writer, ReadOnlySpan<byte> name, SentryEventId id)
    {
        Span<byte> hex = stackalloc byte[32];
        id.TryFormat(hex, out _, default, CultureInfo.InvariantCulture);
        writer.WriteString(name, hex);
    }

    internal static byte[] Prewrite(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteExceptions(Utf8JsonWriter writer, List<SentryExceptionValue> exceptions, bool reduced)
    {
        writer.WriteStartObject("exception"u8);
        writer.WriteStartArray("values"u8);
        for (var i = 0; i < exceptions.Count; i++)
        {
            var value = exceptions[i];
            writer.WriteStartObject();
            WriteOptional(writer, "type"u8, value.Type, SentryLimits.ExceptionType);
            WriteOptional(writer, "value"u8, value.Value, SentryLimits.Message);
            WriteOptional(writer, "module"u8, value.Module, SentryLimits.ExceptionType);

            // A reduced event keeps the reported exception's frames only.
            if (value.FramesOrNull is { Count: > 0 } frames && (!reduced || i == exceptions.Count - 1))
            {
                writer.WriteStartObject("stacktrace"u8);
                writer.WriteStartArray("frames"u8);
                foreach (var frame in frames)
                {
                    WriteFrame(writer, frame);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            if (value.Mechanism is { } mechanism)
            {
                WriteMechanism(writer, mechanism);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteFrame(Utf8JsonWriter writer, SentryStackFrame frame)
    {
        writer.WriteStartObject();
        WriteOptional(writer, "function"u8, frame.Function, SentryLimits.Field);
        WriteOptional(writer, "module"u8, frame.Module, SentryLimits.Field);
        WriteOptional(writer, "package"u8, frame.Package, SentryLimits.Field);
        WriteOptional(writer, "filename"u8, frame.FileName, SentryLimits.Field);
        if (frame.LineNumber is > 0 and var line)
        {
            writer.WriteNumber("lineno"u8, line);
        }

        if (frame.ColumnNumber is > 0 and var column)
        {
            writer.WriteNumber("colno"u8, column);
        }

        if (frame.InApp is { } inApp)
        {
            writer.WriteBoolean("in_app"u8, inApp);
        }

        writer.WriteEndObject();
    }

    private static void WriteMechanism(Utf8JsonWriter writer, SentryMechanism mechanism)
    {
        writer.WriteStartObject("mechanism"u8);
        var type = string.IsNullOrWhiteSpace(mechanism.Type) ? "generic" : mechanism.Type;
        WriteString(writer, "type"u8, type, SentryLimits.MechanismType);
        WriteOptional(writer, "description"u8, mechanism.Description, SentryLimits.Message);
        WriteOptional(writer, "source"u8, mechanism.Source, SentryLimits.Field);
        WriteOptional(writer, "help_link"u8, mechanism.HelpLink, SentryLimits.Field);
        if (mechanism.Handled is { } handled)
        {
            writer.WriteBoolean("handled"u8, handled);
        }

        if (mechanism.IsExceptionGroup)
        {
            writer.WriteBoolean("is_exception_group"u8, true);
        }

        if (mechanism.ExceptionId is { } exceptionId)
        {
            writer.WriteNumber("exception_id"u8, exceptionId);
        }

        if (mechanism.ParentId is { } parentId)
        {
            writer.WriteNumber("parent_id"u8, parentId);
        }

        if (mechanism.HResult is not null || mechanism.DataOrNull is { Count: > 0 })
        {
            writer.WriteStartObject("data"u8);
            if (mechanism.HResult is { } hresult)
            {
                Span<char> hex = stackalloc char[10];
                hresult.TryFormat(hex[2..], out _, "X8", CultureInfo.InvariantCulture);
                hex[0] = '0';
                hex[1] = 'x';
                writer.WriteString("HResult"u8, hex);
            }

            foreach (var item in mechanism.DataOrNull ?? [])
            {
                writer.WritePropertyName(SentryLimits.Truncate(item.Key, SentryLimits.Field));
                WriteStringValue(writer, item.Value ?? string.Empty, SentryLimits.Field);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteRequest(Utf8JsonWriter writer, SentryRequest request)
    {
        writer.WriteStartObject("request"u8);
        WriteOptional(writer, "method"u8, request.Method, SentryLimits.Field);
        WriteOptional(writer, "url"u8, request.Url, SentryLimits.Field);
        WriteOptional(writer, "query_string"u8, request.QueryString, SentryLimits.Field);
        if (request.HeadersOrNull is { Count: > 0 } headers)
        {
            writer.WriteStartObject("headers"u8);
            foreach (var header in headers)
            {
                writer.WritePropertyName(SentryLimits.Truncate(header.Key, SentryLimits.Field));
                WriteStringValue(writer, header.Value ?? string.Empty, SentryLimits.Field);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteUser(Utf8JsonWriter writer, SentryUser user)
    {
        writer.WriteStartObject("user"u8);
        WriteOptional(writer, "id"u8, user.Id, SentryLimits.Field);
        WriteOptional(writer, "username"u8, user.Username, SentryLimits.Field);
        WriteOptional(writer, "email"u8, user.Email, SentryLimits.Field);
        WriteOptional(writer, "ip_address"u8, user.IpAddress, SentryLimits.Field);
        writer.WriteEndObject();
    }

    private static void WriteTags(Utf8JsonWriter writer, Dictionary<string, string> tags)
    {
        // Keys are made valid first; two keys that become the same after that keep the later value.
        var written = new Dictionary<string, string>(tags.Count, StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            if (tag.Key is null || string.IsNullOrWhiteSpace(tag.Value))
            {
                continue;
            }

            var key = SentryLimits.TagKeyOf(tag.Key);
            var value = SentryLimits.TagValueOf(tag.Value);
            if (key.Length > 0 && value.Length > 0)
            {
                written[key] = value;
            }
        }

        writer.WriteStartObject("tags"u8);
        foreach (var tag in written)
        {
            writer.WriteString(tag.Key, tag.Value);
        }

        writer.WriteEndObject();
    }

    private static void WriteObject(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, object?>> items, int depth)
    {
        writer.WriteStartObject();
        var count = 0;
        foreach (var item in items)
        {
            if (count++ >= SentryLimits.ExtraItems)
            {
                break;
            }

            writer.WritePropertyName(SentryLimits.Truncate(item.Key ?? string.Empty, SentryLimits.Field));
            WriteValue(writer, item.Value, depth + 1);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes an <c>extra</c> value: JSON types as such, known scalars as text, containers recursively, anything else as its text.</summary>
    private static void WriteValue(Utf8JsonWriter writer, object? value, int depth)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                return;
            case string text:
                WriteStringValue(writer, text, SentryLimits.ExtraString);
                return;
            case bool flag:
                writer.WriteBooleanValue(flag);
                return;
            case int or long or short or byte or sbyte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                return;
            case ulong unsigned:
                writer.WriteNumberValue(unsigned);
                return;
            case decimal number:
                writer.WriteNumberValue(number);
                return;
            case double or float:
                var real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(real))
                {
                    writer.WriteNumberValue(real);
                }
                else
                {
                    writer.WriteStringValue(real.ToString(CultureInfo.InvariantCulture));
                }

                return;
            case DateTimeOffset moment:
                writer.WriteStringValue(moment);
                return;
            case DateTime dateTime:
                writer.WriteStringValue(dateTime);
                return;
            case Guid guid:
                writer.WriteStringValue(guid);
                return;
        }

        if (depth < SentryLimits.ExtraDepth)
        {
            switch (value)
            {
                case IEnumerable<KeyValuePair<string, object?>> map:
                    WriteObject(writer, map, depth);
                    return;
                case IDictionary dictionary:
                    WriteObject(writer, ToPairs(dictionary), depth);
                    return;
                case IEnumerable sequence:
                    writer.WriteStartArray();
                    var count = 0;
                    foreach (var element in sequence)
                    {
                        if (count++ >= SentryLimits.ExtraItems)
                        {
                            break;
                        }

                        WriteValue(writer, element, depth + 1);
                    }

                    writer.WriteEndArray();
                    return;
            }
        }

        string? textForm;
        try
        {
            textForm = value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString();
        }
        catch (Exception exception)
        {
            textForm = $"({value.GetType().FullName}.ToString() threw {exception.GetType().FullName})";
        }

        WriteStringValue(writer, textForm ?? string.Empty, SentryLimits.ExtraString);
    }

    private static IEnumerable<KeyValuePair<string, object?>> ToPairs(IDictionary dictionary)
    {
        foreach (DictionaryEntry entry in dictionary)
        {
            yield return new(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty, entry.Value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value, int maxLength)
    {
        if (!string.IsNullOrEmpty(value))
        {
            WriteString(writer, name, value, maxLength);
        }
    }

    private static void WriteString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string value, int maxLength)
        => writer.WriteString(name, SentryLimits.Truncate(value, maxLength));

    private static void WriteStringValue(Utf8JsonWriter writer, string value, int maxLength)
        => writer.WriteStringValue(SentryLimits.Truncate(value, maxLength));
}

/// <summary>The <c>runtime</c> and <c>os</c> contexts, identical for every event of the process.</summary>
internal static class RuntimeContexts
{
    public static byte[] Create() => EventWriter.Prewrite(static writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartObject("runtime"u8);
        writer.WriteString("type"u8, "runtime"u8);
        writer.WriteString("name"u8, ".NET"u8);
        writer.WriteString("version"u8, System.Environment.Version.ToString());
        writer.WriteString("raw_description"u8, RuntimeInformation.FrameworkDescription);
        writer.WriteString("identifier"u8, RuntimeInformation.RuntimeIdentifier);
        writer.WriteEndObject();
        writer.WriteStartObject("os"u8);
        writer.WriteString("type"u8, "os"u8);
        writer.WriteString("name"u8, OsName());
        writer.WriteString("version"u8, System.Environment.OSVersion.Version.ToString());
        writer.WriteString("raw_description"u8, RuntimeInformation.OSDescription);
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    private static string OsName()
        => OperatingSystem.IsWindows() ? "Windows"
            : OperatingSystem.IsMacOS() ? "macOS"
            : OperatingSystem.IsLinux() ? "Linux"
            : OperatingSystem.IsFreeBSD() ? "FreeBSD"
            : RuntimeInformation.OSDescription;
}
