using ErrorReporting.Events;

namespace ErrorReporting;

/// <summary>
/// Options of the error reporter. Bind them from configuration (section keys are the property names) or set them in code.
/// </summary>
/// <remarks>
/// The options are validated when the host starts, or without a host when the reporter is first resolved: invalid values
/// throw an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> that names the option.
/// </remarks>
public class ErrorReportingOptions
{
    /// <summary>
    /// Gets or sets the Data Source Name of the Sentry project: <c>{scheme}://{public_key}[:{secret_key}]@{host}[:{port}][/{path}]/{project_id}</c>.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the <c>SENTRY_DSN</c> environment variable is read. When neither
    /// is set, the reporter is disabled (reports are no-ops returning <see cref="SentryEventId.Empty"/>). An empty value
    /// disables it even when <c>SENTRY_DSN</c> is set, as in Sentry's SDKs. An invalid DSN fails options validation at start-up.
    /// </value>
    public string? Dsn { get; set; }

    /// <summary>
    /// Gets or sets the environment the application runs in (for example <c>staging</c>), attached to every event.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the <c>SENTRY_ENVIRONMENT</c> environment variable, else <c>production</c>.</value>
    public string? Environment { get; set; }

    /// <summary>
    /// Gets or sets the release (version) of the application, attached to every event.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the <c>SENTRY_RELEASE</c> environment variable, else
    /// <c>{entry assembly name}@{informational version}</c> (the assembly version when it has no informational version),
    /// else no release.
    /// </value>
    public string? Release { get; set; }

    /// <summary>
    /// Gets or sets the server name attached to every event.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no server name, or the machine name when <see cref="SendDefaultPii"/> is on.</value>
    public string? ServerName { get; set; }

    /// <summary>
    /// Gets the tags attached to every event. Per-call and scope tags with the same key override them.
    /// </summary>
    /// <value>The default value is empty. A blank key fails options validation.</value>
    public IDictionary<string, string> DefaultTags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a value indicating whether personal data the library could collect on its own is sent:
    /// the machine name as server name and, in the ASP.NET Core integration, the client IP address and user name.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool SendDefaultPii { get; set; }

    /// <summary>
    /// Gets or sets how many reports may wait for the background worker. When the queue is full, a new report is
    /// dropped (counted, and reported to Sentry in a client report) and its call returns <see cref="SentryEventId.Empty"/>;
    /// the caller is never blocked.
    /// </summary>
    /// <value>The default value is 1,000; from 1 to 1,000,000.</value>
    public int MaxQueueItems { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how long the reporter waits for pending events to be delivered when it is disposed, when the host
    /// stops, when the process exits and when an unhandled exception terminates the process.
    /// </summary>
    /// <value>The default value is 2 seconds; from zero to 10 minutes.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets the fraction of events sent, from 0 (none) to 1 (all). Events sampled out are counted and their
    /// calls return <see cref="SentryEventId.Empty"/>.
    /// </summary>
    /// <value>The default value is 1 (every event).</value>
    public double SampleRate { get; set; } = 1.0;

    /// <summary>
    /// Gets or sets a callback that sees every event before it is sent, on the background worker: it may modify the
    /// event and return it, or return <see langword="null"/> to drop it (counted as <c>before_send</c>). An exception
    /// thrown by the callback is logged and the event is sent anyway, as the callback left it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<SentryEvent, SentryEvent?>? BeforeSend { get; set; }

    /// <summary>
    /// Gets or sets a folder for the offline cache: every event is written there before it is sent and deleted once the
    /// server took it (or it was definitively dropped), so events survive network outages and the process being killed.
    /// Events left by an earlier process are sent first at start-up. A sub-folder per DSN is used; folders and files are
    /// created readable by the owner only.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: no offline cache, events wait in memory only. A blank path, or one
    /// with invalid path characters, fails options validation.
    /// </value>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Gets or sets how many envelopes the offline cache holds at most; beyond that the oldest is deleted (counted as
    /// <c>cache_overflow</c>).
    /// </summary>
    /// <value>The default value is 1,000; from 1 to 1,000,000.</value>
    public int MaxCacheItems { get; set; } = 1000;

    /// <summary>
    /// Gets or sets a value indicating whether the library tells Sentry how many events it discarded and why (client
    /// reports), so that the Stats page accounts for them.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool SendClientReports { get; set; } = true;

    /// <summary>
    /// Gets or sets how long one attempt to send an envelope may take before it counts as failed and is retried.
    /// </summary>
    /// <value>The default value is 30 seconds; more than zero and at most 10 minutes.</value>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets a value indicating whether exceptions that nobody caught (<see cref="AppDomain.UnhandledException"/>)
    /// are reported, marked <c>handled: no</c> with mechanism <c>AppDomain.UnhandledException</c>, and delivered (up to
    /// <see cref="ShutdownTimeout"/>) before the process terminates. The process still crashes as it would without the library.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    /// <remarks>The hooks are installed when the host starts, or by <c>serviceProvider.InstallUnhandledExceptionHooks()</c> without a host.</remarks>
    public bool CaptureUnhandledExceptions { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether exceptions of faulted tasks that nobody observed
    /// (<see cref="TaskScheduler.UnobservedTaskException"/>) are reported, marked <c>handled: no</c> with mechanism
    /// <c>UnobservedTaskException</c>. They do not terminate the process.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool CaptureUnobservedTaskExceptions { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether a reported unobserved task exception is marked observed
    /// (<see cref="UnobservedTaskExceptionEventArgs.SetObserved"/>). This matters only to applications that turned on
    /// <c>ThrowUnobservedTaskExceptions</c>, where an unobserved exception would otherwise terminate the process.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the library does not change what the runtime does.</value>
    public bool ObserveUnobservedTaskExceptions { get; set; }

    /// <summary>
    /// Gets or sets the level of events reported by the process-wide hooks (<see cref="CaptureUnhandledExceptions"/>,
    /// <see cref="CaptureUnobservedTaskExceptions"/>).
    /// </summary>
    /// <value>The default value is <see cref="SentryLevel.Error"/>, as Sentry's own SDKs send crashes; choose <see cref="SentryLevel.Fatal"/> to tell crashes apart by level.</value>
    public SentryLevel UnhandledExceptionLevel { get; set; } = SentryLevel.Error;

    /// <summary>
    /// Gets the namespace prefixes of code that is not the application's own: frames whose declaring type's
    /// namespace starts with one of them are marked <c>in_app: false</c>, unless <see cref="InAppInclude"/> matches.
    /// </summary>
    /// <value>
    /// The default value is <c>System</c>, <c>Microsoft</c>, <c>Windows</c>, <c>Mono</c>, <c>FSharp</c>, <c>Newtonsoft</c>,
    /// <c>Serilog</c>, <c>Polly</c>, <c>Grpc</c>, <c>Google</c>, <c>Xunit</c>, <c>NSubstitute</c>, <c>Castle</c>.
    /// A prefix matches whole namespace segments: <c>System</c> matches <c>System.IO</c>, not <c>SystemMonitor</c>.
    /// </value>
    public IList<string> InAppExclude { get; } = new List<string>
    {
        "System", "Microsoft", "Windows", "Mono", "FSharp", "Newtonsoft", "Serilog", "Polly", "Grpc", "Google", "Xunit", "NSubstitute", "Castle",
    };

    /// <summary>
    /// Gets the namespace prefixes of the application's own code, overriding <see cref="InAppExclude"/>.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IList<string> InAppInclude { get; } = new List<string>();
}
