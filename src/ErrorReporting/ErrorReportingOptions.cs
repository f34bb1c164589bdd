
namespace ErrorReporting;

/// <summary>
/// Options of ErrorReporting: the Sentry SDK's own <see cref="SentryOptions"/> (same names, same meaning), with
/// ErrorReporting's defaults and the one setting its delivery engine adds.
/// </summary>
/// <remarks>
/// <para>
/// Bind them from an appsettings <c>"Sentry"</c> section (keys are the SDK's option names) or set them in code. They
/// are validated when the host starts, or without a host when <see cref="IErrorReporter"/> is first resolved: an
/// invalid value throws an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> that names the option.
/// </para>
/// <para>
/// Defaults that differ from the SDK's: <see cref="SentryOptions.MaxQueueItems"/> and <see cref="SentryOptions.MaxCacheItems"/>
/// are 1,000 (the SDK's are 30; the queue's room is per lane: error events and what tells about them, and the bulk
/// kinds such as transactions), and <see cref="SentryOptions.AttachStacktrace"/> is <see langword="false"/>, so a
/// message event carries no stack trace of the caller (capturing one costs the caller's thread hundreds of
/// microseconds); set it to <see langword="true"/> to have them. Exception events always carry their stack traces.
/// </para>
/// <para>
/// When the SDK is initialised by <c>UseSentry()</c> or <c>AddSentry()</c> instead, their options configure the SDK and
/// these options are not used; ErrorReporting's delivery engine is installed into theirs (see the README, "Already using Sentry?").
/// </para>
/// </remarks>
public class ErrorReportingOptions : SentryOptions
{
    /// <summary>The default of <see cref="SentryOptions.MaxQueueItems"/> and <see cref="SentryOptions.MaxCacheItems"/> under ErrorReporting.</summary>
    public const int DefaultMaxItems = 1000;

    /// <summary>The default of <see cref="SendTimeout"/>.</summary>
    public static readonly TimeSpan DefaultSendTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Initializes a new instance of the <see cref="ErrorReportingOptions"/> class with ErrorReporting's defaults.
    /// </summary>
    public ErrorReportingOptions()
    {
        MaxQueueItems = DefaultMaxItems;
        MaxCacheItems = DefaultMaxItems;
        AttachStacktrace = false;
    }

    /// <summary>
    /// Gets or sets how long one attempt of the delivery engine to send an envelope may take before it counts as no
    /// response (a server that accepts the connection and never answers): the envelope is kept and sent again with the
    /// next probe, as after a refused connection.
    /// </summary>
    /// <value>The default value is 30 seconds; more than zero and at most 10 minutes.</value>
    public TimeSpan SendTimeout { get; set; } = DefaultSendTimeout;

    /// <summary>Gets the configuration values the SDK's setters rejected, reported by options validation.</summary>
    internal List<string> RejectedConfiguration { get; } = [];
}
