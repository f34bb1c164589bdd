namespace ErrorReporting.AspNetCore;

/// <summary>
/// The mechanism types of the events the ASP.NET Core integration reports, all <c>handled: no</c>. Sentry shows them
/// as the <c>mechanism</c> tag; use them to tell where an exception was caught, for example in a before-send callback.
/// </summary>
/// <remarks>
/// An exception that escapes the whole pipeline (no exception-handler middleware, or the response had already started)
/// is reported by <c>Sentry.AspNetCore</c>'s own middleware, with its mechanism <c>SentryMiddleware.UnhandledException</c>.
/// </remarks>
public static class AspNetCoreMechanisms
{
    /// <summary>
    /// An exception that escaped the endpoint or a middleware and reached the exception-handler middleware
    /// (<c>app.UseExceptionHandler()</c>), reported by the integration's <c>IExceptionHandler</c>.
    /// </summary>
    public const string ExceptionHandler = "AspNetCore.ExceptionHandler";

    /// <summary>An exception shown by the developer exception page (<c>app.UseDeveloperExceptionPage()</c>, on in Development).</summary>
    public const string DeveloperExceptionPage = "AspNetCore.DeveloperExceptionPage";
}
