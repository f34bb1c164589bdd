using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using SentryRequest = ErrorReporting.Events.SentryRequest;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Reads what an event carries about a request, on the request's thread (the <see cref="ReportContext"/> is read later,
/// on the reporter's worker, when the <see cref="HttpContext"/> may already be reused): method, URL without the query,
/// the query string with secret-looking parameters filtered, the route template as transaction, the allowed headers,
/// and, only with <see cref="ErrorReportingOptions.SendDefaultPii"/>, the client's IP address and user name.
/// </summary>
internal sealed class ReportContextFactory
{
    private readonly bool _sendDefaultPii;
    private readonly bool _sendHeaders;
    private readonly HashSet<string> _deniedHeaders;
    private readonly string[] _sensitiveNames;

    public ReportContextFactory(IOptions<ErrorReportingAspNetCoreOptions> options, IOptions<ErrorReportingOptions> reportingOptions)
    {
        var value = options.Value;
        _sendDefaultPii = reportingOptions.Value.SendDefaultPii;
        _sendHeaders = value.SendRequestHeaders;
        _deniedHeaders = new HashSet<string>(value.DeniedRequestHeaders.Where(name => !string.IsNullOrWhiteSpace(name)).Select(name => name.Trim()), StringComparer.OrdinalIgnoreCase);
        _sensitiveNames = value.SensitiveNames.Where(name => !string.IsNullOrWhiteSpace(name)).Select(name => name.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>Builds the context of a report made for <paramref name="httpContext"/>.</summary>
    /// <param name="httpContext">The request.</param>
    /// <param name="handlerFeature">
    /// The exception-handler middleware's record of the failed request: its endpoint and path, which the middleware
    /// clears from the context before it calls the exception handlers.
    /// </param>
    public ReportContext Create(HttpContext httpContext, IExceptionHandlerFeature? handlerFeature)
    {
        var request = httpContext.Request;
        var path = handlerFeature?.Path is { Length: > 0 } originalPath ? new PathString(originalPath) : request.Path;
        var sentryRequest = new SentryRequest
        {
            Method = request.Method,
            Url = UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, path),
            QueryString = request.QueryString.HasValue ? FilterQuery(request.QueryString.Value[1..]) : null,
        };

        if (_sendHeaders)
        {
            foreach (var header in request.Headers)
            {
                if (_deniedHeaders.Contains(header.Key) || IsSensitive(header.Key))
                {
                    continue;
                }

                var value = header.Value.Count == 1 ? header.Value[0] ?? string.Empty : string.Join(", ", header.Value.ToArray());
                sentryRequest.Headers[header.Key] = header.Key.Equals("Referer", StringComparison.OrdinalIgnoreCase) ? FilterUrl(value) : value;
            }
        }

        var context = new ReportContext
        {
            Request = sentryRequest,
            Transaction = TransactionOf(request.Method, handlerFeature?.Endpoint ?? httpContext.GetEndpoint()),
        };

        if (_sendDefaultPii)
        {
            context.User = UserOf(httpContext);
        }

        // Outside the request's scope (the middleware's flow), the scope's tags would be missed: carry them on the call.
        if (ErrorReportingScope.Current is null && httpContext.Features.Get<ErrorReportingFeature>()?.Scope is { } scope)
        {
            foreach (var tag in scope.Tags)
            {
                context.Tags[tag.Key] = tag.Value;
            }
        }

        return context;
    }

    /// <summary>Returns the query string (without <c>?</c>) with the value of every secret-looking parameter replaced by <c>[Filtered]</c>.</summary>
    internal string? FilterQuery(string query)
    {
        if (query.Length == 0)
        {
            return null;
        }

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
        if (question < 0)
        {
            return withoutFragment;
        }

        var query = FilterQuery(withoutFragment[(question + 1)..]);
        return query is null ? withoutFragment[..question] : string.Concat(withoutFragment.AsSpan(0, question + 1), query);
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

    /// <summary>Returns <c>{METHOD} /{route template}</c> for a routed endpoint (<c>GET /orders/{id}</c>), else <see langword="null"/>.</summary>
    internal static string? TransactionOf(string method, Endpoint? endpoint)
    {
        if (endpoint is not RouteEndpoint { RoutePattern.RawText: { } template })
        {
            return null;
        }

        return template.StartsWith('/') ? $"{method} {template}" : $"{method} /{template}";
    }

    private static SentryUser? UserOf(HttpContext httpContext)
    {
        var address = httpContext.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }

        var identity = httpContext.User?.Identity;
        var name = identity is { IsAuthenticated: true, Name: { Length: > 0 } authenticated } ? authenticated : null;
        return address is null && name is null ? null : new SentryUser { IpAddress = address?.ToString(), Username = name };
    }
}
