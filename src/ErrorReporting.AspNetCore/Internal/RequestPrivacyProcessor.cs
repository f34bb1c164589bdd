using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Sentry.Extensibility;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Keeps secrets out of the request data <c>Sentry.AspNetCore</c> attaches, unless
/// <see cref="SentryOptions.SendDefaultPii"/> is on: it removes the headers of
/// <see cref="ErrorReportingAspNetCoreOptions.DeniedRequestHeaders"/> and those whose name contains one of
/// <see cref="ErrorReportingAspNetCoreOptions.SensitiveNames"/> (API keys, client-address headers, which the SDK sends),
/// and replaces secret-looking query-string values (in the query string, in <c>Referer</c>, and in URLs inside
/// breadcrumbs) with <c>[Filtered]</c>. The SDK itself leaves out cookies, masks <c>Authorization</c>, and sends the
/// client IP and the user only with <c>SendDefaultPii</c>; but its logger provider turns ASP.NET Core's
/// <c>Request starting HTTP/1.1 GET http://host/path?token=…</c> log line into a breadcrumb with the raw query string.
/// </summary>
internal sealed partial class RequestPrivacyProcessor : ISentryEventProcessor
{
    private readonly SentryOptions _sentryOptions;
    private readonly HashSet<string> _deniedHeaders;
    private readonly string[] _sensitiveNames;

    public RequestPrivacyProcessor(SentryOptions sentryOptions, ErrorReportingAspNetCoreOptions options)
    {
        _sentryOptions = sentryOptions;
        _deniedHeaders = new HashSet<string>(options.DeniedRequestHeaders.Where(name => !string.IsNullOrWhiteSpace(name)).Select(name => name.Trim()), StringComparer.OrdinalIgnoreCase);
        _sensitiveNames = options.SensitiveNames.Where(name => !string.IsNullOrWhiteSpace(name)).Select(name => name.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    public SentryEvent? Process(SentryEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (_sentryOptions.SendDefaultPii)
        {
            return @event;
        }

        FilterBreadcrumbs(@event);
        if (@event.Request is not { Url: not null } request)
        {
            return @event;
        }

        if (request.QueryString is { Length: > 0 } query)
        {
            request.QueryString = query[0] == '?' ? "?" + FilterQuery(query[1..]) : FilterQuery(query);
        }

        request.Cookies = null;
        request.Env.Remove("REMOTE_ADDR");
        foreach (var name in request.Headers.Keys.ToArray())
        {
            if (_deniedHeaders.Contains(name) || IsSensitive(name))
            {
                request.Headers.Remove(name);
            }
            else if (name.Equals("Referer", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers[name] = FilterUrl(request.Headers[name]);
            }
        }

        return @event;
    }

    /// <summary>Returns the query string (without <c>?</c>) with the value of every secret-looking parameter replaced by <c>[Filtered]</c>.</summary>
    internal string FilterQuery(string query)
    {
        var parameters = query.Split('&');
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            var rawName = equals < 0 ? parameter : parameter[..equals];
            if (rawName.Length > 0 && IsSensitive(Uri.UnescapeDataString(rawName.Replace('+', ' '))))
            {
                parameters[i] = rawName + "=" + ErrorReportingAspNetCoreOptions.FilteredValue;
            }
        }

        return string.Join('&', parameters);
    }

    /// <summary>Filters the query string of a URL (such as a <c>Referer</c>); drops its fragment.</summary>
    internal string FilterUrl(string url)
    {
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        var withoutFragment = hash < 0 ? url : url[..hash];
        var question = withoutFragment.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? withoutFragment : string.Concat(withoutFragment.AsSpan(0, question + 1), FilterQuery(withoutFragment[(question + 1)..]));
    }

    /// <summary>Filters the query string of every URL or path in free text (<c>…/path?token=x&amp;page=2 …</c>).</summary>
    internal string FilterText(string text)
        => text.Contains('?', StringComparison.Ordinal) ? QueryInText().Replace(text, match => "?" + FilterQuery(match.Groups["query"].Value)) : text;

    internal bool IsSensitive(string name)
    {
        foreach (var fragment in _sensitiveNames)
        {
            if (name.Contains(fragment, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A <c>?</c> right after a URL or path, and the <c>name=value</c> pairs up to white space, quote or fragment.</summary>
    [GeneratedRegex(@"(?<=[^\s?])\?(?<query>[^\s#""'<>]*=[^\s#""'<>]*)", RegexOptions.CultureInvariant)]
    private static partial Regex QueryInText();

    /// <summary>
    /// Replaces each breadcrumb whose message or data holds a URL with a secret-looking query parameter by a copy with
    /// it filtered. <see cref="Breadcrumb"/> is immutable and its timestamp constructor is not public: the copy is made
    /// through <see cref="Breadcrumb.FromJson(JsonElement)"/>, which keeps the timestamp (to the millisecond, as sent).
    /// </summary>
    private void FilterBreadcrumbs(SentryEvent @event)
    {
        // The event's breadcrumbs are a List<Breadcrumb> behind IReadOnlyCollection (SDK 6.12.1); nothing to do otherwise.
        if (@event.Breadcrumbs is not List<Breadcrumb> { Count: > 0 } breadcrumbs)
        {
            return;
        }

        for (var i = 0; i < breadcrumbs.Count; i++)
        {
            var breadcrumb = breadcrumbs[i];
            var message = breadcrumb.Message is { } text ? FilterText(text) : null;
            Dictionary<string, string>? data = null;
            if (breadcrumb.Data is { Count: > 0 } original)
            {
                foreach (var (key, value) in original)
                {
                    var filtered = value is null ? null : FilterText(value);
                    if (!string.Equals(filtered, value, StringComparison.Ordinal))
                    {
                        data ??= new Dictionary<string, string>(original);
                        data[key] = filtered!;
                    }
                }
            }

            if (data is not null || !string.Equals(message, breadcrumb.Message, StringComparison.Ordinal))
            {
                breadcrumbs[i] = Copy(breadcrumb, message, data ?? breadcrumb.Data);
            }
        }
    }

    private static Breadcrumb Copy(Breadcrumb breadcrumb, string? message, IReadOnlyDictionary<string, string>? data)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", breadcrumb.Timestamp);
            WriteIfNotNull(writer, "message", message);
            WriteIfNotNull(writer, "type", breadcrumb.Type);
            if (data is { Count: > 0 })
            {
                writer.WriteStartObject("data");
                foreach (var (key, value) in data)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            WriteIfNotNull(writer, "category", breadcrumb.Category);
            writer.WriteString("level", breadcrumb.Level.ToString().ToUpperInvariant());
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return Breadcrumb.FromJson(document.RootElement);
    }

    private static void WriteIfNotNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}

/// <summary>Adds <see cref="RequestPrivacyProcessor"/> to any <see cref="SentryOptions"/> of the container (open generic, as the core's setup).</summary>
internal sealed class RequestPrivacySetup<TOptions>(IOptions<ErrorReportingAspNetCoreOptions> options) : IPostConfigureOptions<TOptions>
    where TOptions : SentryOptions
{
    public void PostConfigure(string? name, TOptions sentryOptions)
    {
        ArgumentNullException.ThrowIfNull(sentryOptions);
        if (name is null || name == Options.DefaultName)
        {
            sentryOptions.AddEventProcessor(new RequestPrivacyProcessor(sentryOptions, options.Value));
        }
    }
}
