using Microsoft.Extensions.Options;
using Sentry.Extensibility;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Keeps secrets out of the request data <c>Sentry.AspNetCore</c> attaches, unless
/// <see cref="SentryOptions.SendDefaultPii"/> is on: it removes the headers of
/// <see cref="ErrorReportingAspNetCoreOptions.DeniedRequestHeaders"/> and those whose name contains one of
/// <see cref="ErrorReportingAspNetCoreOptions.SensitiveNames"/> (API keys, client-address headers, which the SDK sends),
/// and replaces secret-looking query-string values (in the query string and in <c>Referer</c>) with <c>[Filtered]</c>.
/// The SDK itself leaves out cookies, masks <c>Authorization</c>, and sends the client IP and the user only with
/// <c>SendDefaultPii</c>.
/// </summary>
internal sealed class RequestPrivacyProcessor : ISentryEventProcessor
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
        if (_sentryOptions.SendDefaultPii || @event.Request is not { Url: not null } request)
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
