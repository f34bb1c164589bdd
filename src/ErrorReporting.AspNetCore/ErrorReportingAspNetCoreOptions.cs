namespace ErrorReporting.AspNetCore;

/// <summary>
/// Options of the ASP.NET Core integration: how the event id is returned to the client, and which request data never
/// leaves the process without <c>SendDefaultPii</c>. The SDK itself (DSN, environment, release, <c>SendDefaultPii</c>)
/// is configured by the SDK's options (<c>SentryAspNetCoreOptions</c>, the <c>"Sentry"</c> section).
/// </summary>
/// <remarks>
/// Bound from the <c>"Sentry:AspNetCore"</c> configuration section by <c>UseErrorReporting()</c>, or set in code with
/// <c>services.Configure&lt;ErrorReportingAspNetCoreOptions&gt;(options =&gt; …)</c>. Configuration adds to the
/// default lists; remove a default entry in code.
/// </remarks>
public class ErrorReportingAspNetCoreOptions
{
    /// <summary>The default name of the response header that carries the event id: <c>X-Sentry-Event-Id</c>.</summary>
    public const string DefaultEventIdResponseHeader = "X-Sentry-Event-Id";

    /// <summary>The key of the event id in the ProblemDetails extensions: <c>eventId</c>.</summary>
    public const string ProblemDetailsEventIdKey = "eventId";

    /// <summary>The value that replaces a filtered query-string parameter: <c>[Filtered]</c>, as Sentry's data scrubber writes it.</summary>
    public const string FilteredValue = "[Filtered]";

    /// <summary>
    /// Gets or sets the name of the response header set to the event id (32 lowercase hexadecimal characters) when an
    /// exception that escaped the request was reported.
    /// </summary>
    /// <value>
    /// The default value is <c>X-Sentry-Event-Id</c> (<see cref="DefaultEventIdResponseHeader"/>).
    /// <see langword="null"/>, empty or white space sets no header; surrounding white space is trimmed.
    /// </value>
    /// <remarks>A browser script on another origin reads it only if CORS exposes it (<c>Access-Control-Expose-Headers</c>).</remarks>
    public string? EventIdResponseHeader { get; set; } = DefaultEventIdResponseHeader;

    /// <summary>
    /// Gets or sets a value indicating whether the event id is added to ProblemDetails responses of a request whose
    /// exception was reported, as <c>extensions["eventId"]</c> (<see cref="ProblemDetailsEventIdKey"/>).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    /// <remarks>
    /// It applies to ProblemDetails written through <c>IProblemDetailsService</c> (<c>services.AddProblemDetails()</c>),
    /// which <c>app.UseExceptionHandler()</c> uses. The application's own <c>CustomizeProblemDetails</c> runs after it.
    /// </remarks>
    public bool IncludeEventIdInProblemDetails { get; set; } = true;

    /// <summary>
    /// Gets the names of request headers that are not sent without <c>SendDefaultPii</c> (case-insensitive).
    /// <c>Sentry.AspNetCore</c> already leaves out <c>Cookie</c> and masks <c>Authorization</c>; it sends every other
    /// header, including API keys and the headers that carry the client's address.
    /// </summary>
    /// <value>
    /// The default value holds the credential headers <c>Authorization</c>, <c>Proxy-Authorization</c>, <c>Cookie</c>,
    /// <c>Set-Cookie</c>, <c>X-Api-Key</c>, <c>X-Auth-Token</c>, <c>X-Access-Token</c>, <c>X-CSRF-Token</c>,
    /// <c>X-XSRF-Token</c>, <c>X-Amz-Security-Token</c>, <c>Ocp-Apim-Subscription-Key</c>, <c>X-Sentry-Auth</c>, and the
    /// headers that carry the client's address <c>Forwarded</c>, <c>X-Forwarded-For</c>, <c>X-Real-IP</c>,
    /// <c>X-Client-IP</c>, <c>X-Cluster-Client-IP</c>, <c>True-Client-IP</c>, <c>CF-Connecting-IP</c>,
    /// <c>Fastly-Client-IP</c>, <c>X-Original-For</c>.
    /// </value>
    /// <remarks>Besides this list, a header whose name contains one of <see cref="SensitiveNames"/> is not sent either.</remarks>
    public ISet<string> DeniedRequestHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token", "X-Access-Token",
        "X-CSRF-Token", "X-XSRF-Token", "X-Amz-Security-Token", "Ocp-Apim-Subscription-Key", "X-Sentry-Auth",
        "Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP",
        "CF-Connecting-IP", "Fastly-Client-IP", "X-Original-For",
    };

    /// <summary>
    /// Gets the name fragments that mark a value as secret (case-insensitive, anywhere in the name), without
    /// <c>SendDefaultPii</c>: a query-string parameter whose name contains one is sent as <c>name=[Filtered]</c>, and a
    /// request header whose name contains one is not sent. The query string of the <c>Referer</c> header, and of the
    /// URLs in breadcrumb messages and data, is filtered the same way. (<c>Sentry.AspNetCore</c> sends the query string
    /// as it is, and the <c>Request starting … GET http://host/path?query</c> log line as a breadcrumb.)
    /// </summary>
    /// <value>
    /// The default value is <c>auth</c>, <c>token</c>, <c>secret</c>, <c>passw</c>, <c>pwd</c>, <c>key</c>, <c>code</c>,
    /// <c>sig</c>, <c>session</c>, <c>cookie</c>, <c>credential</c>, <c>jwt</c>, <c>csrf</c>, <c>xsrf</c>, <c>saml</c>:
    /// it catches <c>access_token</c>, <c>api_key</c>, <c>apiKey</c>, <c>client_secret</c>, <c>password</c>, <c>code</c>
    /// (OAuth), <c>sig</c> and <c>X-Amz-Signature</c> (signed URLs), <c>sessionid</c>, and errs on the side of filtering
    /// (<c>zipcode</c>, <c>author</c> are filtered too).
    /// </value>
    public IList<string> SensitiveNames { get; } = new List<string>
    {
        "auth", "token", "secret", "passw", "pwd", "key", "code", "sig", "session", "cookie", "credential", "jwt", "csrf", "xsrf", "saml",
    };
}
