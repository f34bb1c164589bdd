namespace ErrorReporting.AspNetCore;

/// <summary>
/// The mechanism types of the events the ASP.NET Core integration reports. Sentry shows them as the <c>mechanism</c>
/// tag, next to <c>handled: no</c>; use them to tell where an exception was caught, for example in
/// <see cref="ErrorReportingOptions.BeforeSend"/>.
/// </summary>
public static class AspNetCoreMechanisms
{
    /// <summary>
    /// An exception that escaped the endpoint or a middleware and reached the exception-handler middleware
    /// (<c>app.UseExceptionHandler()</c>), reported by the integration's <c>IExceptionHandler</c>.
    /// </summary>
    public const string ExceptionHandler = "AspNetCore.ExceptionHandler";

    /// <summary>An exception shown by the developer exception page (<c>app.UseDeveloperExceptionPage()</c>, on in Development).</summary>
    public const string DeveloperExceptionPage = "AspNetCore.DeveloperExceptionPage";

    /// <summary>
    /// An exception that escaped the whole pipeline (no exception-handler middleware, or the response had already
    /// started), reported by the integration's outermost middleware before the server answers 500 or aborts the response.
    /// </summary>
    public const string UnhandledRequest = "AspNetCore.UnhandledRequest";
}
