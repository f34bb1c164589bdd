using System.IO.Compression;
using System.Net;

namespace ErrorReporting.Configuration;

/// <summary>
/// The keys of a configuration section (appsettings <c>"Sentry"</c>), named as the SDK's options, that ErrorReporting
/// binds onto <see cref="ErrorReportingOptions"/>. The configuration-binding source generator binds this plain type
/// (AOT-safe, no reflection); <see cref="SentryOptions"/> itself holds delegates, interfaces and regexes the binder
/// cannot create. Every property is nullable so that a key that is absent leaves the option as it was. Status-code
/// lists are single codes (each becomes a one-code <see cref="HttpStatusCodeRange"/>); pattern lists are
/// <see cref="StringOrRegex"/> strings. <c>OptionsDriftTests</c> fails when the SDK has a settable option that is
/// neither bound here nor listed there as deliberately unbindable, with the reason.
/// </summary>
internal sealed class BindableErrorReportingOptions
{
    public string? Dsn { get; set; }

    public string? Environment { get; set; }

    public string? Release { get; set; }

    public string? Distribution { get; set; }

    public string? ServerName { get; set; }

    public Dictionary<string, string>? DefaultTags { get; set; }

    public bool? SendDefaultPii { get; set; }

    public bool? IsEnvironmentUser { get; set; }

    public bool? AttachStacktrace { get; set; }

    public int? MaxBreadcrumbs { get; set; }

    public float? SampleRate { get; set; }

    public double? TracesSampleRate { get; set; }

    public double? ProfilesSampleRate { get; set; }

    public int? MaxQueueItems { get; set; }

    public int? MaxCacheItems { get; set; }

    public string? CacheDirectoryPath { get; set; }

    public bool? DisableFileWrite { get; set; }

    public TimeSpan? InitCacheFlushTimeout { get; set; }

    public TimeSpan? ShutdownTimeout { get; set; }

    public TimeSpan? FlushTimeout { get; set; }

    public TimeSpan? SendTimeout { get; set; }

    public bool? SendClientReports { get; set; }

    public DecompressionMethods? DecompressionMethods { get; set; }

    public CompressionLevel? RequestBodyCompressionLevel { get; set; }

    public bool? RequestBodyCompressionBuffered { get; set; }

    public bool? Debug { get; set; }

    public SentryLevel? DiagnosticLevel { get; set; }

    public ReportAssembliesMode? ReportAssembliesMode { get; set; }

    public DeduplicateMode? DeduplicateMode { get; set; }

    public StackTraceMode? StackTraceMode { get; set; }

    public bool? IsGlobalModeEnabled { get; set; }

    public bool? EnableScopeSync { get; set; }

    public bool? EnableBackpressureHandling { get; set; }

    public bool? EnableLogs { get; set; }

    public bool? CaptureFailedRequests { get; set; }

    public bool? AutoSessionTracking { get; set; }

    public TimeSpan? AutoSessionTrackingInterval { get; set; }

    public long? MaxAttachmentSize { get; set; }

    public bool? UseAsyncFileIO { get; set; }

    public bool? DisableSentryHttpMessageHandler { get; set; }

    public bool? JsonPreserveReferences { get; set; }

    public bool? PropagateTraceparent { get; set; }

    public bool? StrictTraceContinuation { get; set; }

    public string? OrgId { get; set; }

    public bool? EnableSpotlight { get; set; }

    public string? SpotlightUrl { get; set; }

    public List<string>? TagFilters { get; set; }

    public List<string>? IgnoreTransactions { get; set; }

    public List<string>? FailedRequestTargets { get; set; }

    public List<string>? TracePropagationTargets { get; set; }

    public List<int>? TraceIgnoreStatusCodes { get; set; }

    public List<int>? FailedRequestStatusCodes { get; set; }

    public StartupTimeDetectionMode? DetectStartupTime { get; set; }

    /// <summary>
    /// Sets the options the section names. A value the SDK's setter rejects (a sample rate of 2, a queue of 0) is not
    /// applied; its key and the SDK's reason go to <paramref name="rejected"/>, for options validation to report.
    /// </summary>
    public void ApplyTo(ErrorReportingOptions options, ICollection<string> rejected)
    {
        SetReference(Dsn, v => options.Dsn = v, rejected);
        SetReference(Environment, v => options.Environment = v, rejected);
        SetReference(Release, v => options.Release = v, rejected);
        SetReference(Distribution, v => options.Distribution = v, rejected);
        SetReference(ServerName, v => options.ServerName = v, rejected);
        SetReference(DefaultTags, v =>
        {
            foreach (var tag in v)
            {
                options.DefaultTags[tag.Key] = tag.Value;
            }
        }, rejected);
        SetValue(SendDefaultPii, v => options.SendDefaultPii = v, rejected);
        SetValue(IsEnvironmentUser, v => options.IsEnvironmentUser = v, rejected);
        SetValue(AttachStacktrace, v => options.AttachStacktrace = v, rejected);
        SetValue(MaxBreadcrumbs, v => options.MaxBreadcrumbs = v, rejected);
        SetValue(SampleRate, v => options.SampleRate = v, rejected);
        SetValue(TracesSampleRate, v => options.TracesSampleRate = v, rejected);
        SetValue(ProfilesSampleRate, v => options.ProfilesSampleRate = v, rejected);
        SetValue(MaxQueueItems, v => options.MaxQueueItems = v, rejected);
        SetValue(MaxCacheItems, v => options.MaxCacheItems = v, rejected);
        SetReference(CacheDirectoryPath, v => options.CacheDirectoryPath = v, rejected);
        SetValue(DisableFileWrite, v => options.DisableFileWrite = v, rejected);
        SetValue(InitCacheFlushTimeout, v => options.InitCacheFlushTimeout = v, rejected);
        SetValue(ShutdownTimeout, v => options.ShutdownTimeout = v, rejected);
        SetValue(FlushTimeout, v => options.FlushTimeout = v, rejected);
        SetValue(SendTimeout, v => options.SendTimeout = v, rejected);
        SetValue(SendClientReports, v => options.SendClientReports = v, rejected);
        SetValue(DecompressionMethods, v => options.DecompressionMethods = v, rejected);
        SetValue(RequestBodyCompressionLevel, v => options.RequestBodyCompressionLevel = v, rejected);
        SetValue(RequestBodyCompressionBuffered, v => options.RequestBodyCompressionBuffered = v, rejected);
        SetValue(Debug, v => options.Debug = v, rejected);
        SetValue(DiagnosticLevel, v => options.DiagnosticLevel = v, rejected);
        SetValue(ReportAssembliesMode, v => options.ReportAssembliesMode = v, rejected);
        SetValue(DeduplicateMode, v => options.DeduplicateMode = v, rejected);
        SetValue(StackTraceMode, v => options.StackTraceMode = v, rejected);
        SetValue(IsGlobalModeEnabled, v => options.IsGlobalModeEnabled = v, rejected);
        SetValue(EnableScopeSync, v => options.EnableScopeSync = v, rejected);
        SetValue(EnableBackpressureHandling, v => options.EnableBackpressureHandling = v, rejected);
        SetValue(EnableLogs, v => options.EnableLogs = v, rejected);
        SetValue(CaptureFailedRequests, v => options.CaptureFailedRequests = v, rejected);
        SetValue(AutoSessionTracking, v => options.AutoSessionTracking = v, rejected);
        SetValue(AutoSessionTrackingInterval, v => options.AutoSessionTrackingInterval = v, rejected);
        SetValue(MaxAttachmentSize, v => options.MaxAttachmentSize = v, rejected);
        SetValue(UseAsyncFileIO, v => options.UseAsyncFileIO = v, rejected);
        SetValue(DisableSentryHttpMessageHandler, v => options.DisableSentryHttpMessageHandler = v, rejected);
        SetValue(JsonPreserveReferences, v => options.JsonPreserveReferences = v, rejected);
        SetValue(PropagateTraceparent, v => options.PropagateTraceparent = v, rejected);
        SetValue(StrictTraceContinuation, v => options.StrictTraceContinuation = v, rejected);
        SetReference(OrgId, v => options.OrgId = v, rejected);
        SetValue(EnableSpotlight, v => options.EnableSpotlight = v, rejected);
        SetReference(SpotlightUrl, v => options.SpotlightUrl = v, rejected);
        SetReference(TagFilters, v => options.TagFilters = ToMatchers(v), rejected);
        SetReference(IgnoreTransactions, v => options.IgnoreTransactions = ToMatchers(v), rejected);
        SetReference(FailedRequestTargets, v => options.FailedRequestTargets = ToMatchers(v), rejected);
        SetReference(TracePropagationTargets, v => options.TracePropagationTargets = ToMatchers(v), rejected);
        SetReference(TraceIgnoreStatusCodes, v => options.TraceIgnoreStatusCodes = ToRanges(v), rejected);
        SetReference(FailedRequestStatusCodes, v => options.FailedRequestStatusCodes = ToRanges(v), rejected);
        SetValue(DetectStartupTime, v => options.DetectStartupTime = v, rejected);
    }

    private static void SetValue<T>(T? value, Action<T> apply, ICollection<string> rejected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string key = "")
        where T : struct
    {
        if (value is { } present)
        {
            Apply(present, apply, rejected, key);
        }
    }

    private static void SetReference<T>(T? value, Action<T> apply, ICollection<string> rejected, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string key = "")
        where T : class
    {
        if (value is not null)
        {
            Apply(value, apply, rejected, key);
        }
    }

    private static void Apply<T>(T value, Action<T> apply, ICollection<string> rejected, string key)
    {
        try
        {
            apply(value);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            rejected.Add($"{key}: {exception.Message}");
        }
    }

    private static List<StringOrRegex> ToMatchers(List<string> patterns) => [.. patterns.Select(p => new StringOrRegex(p))];

    private static List<HttpStatusCodeRange> ToRanges(List<int> codes) => [.. codes.Select(code => new HttpStatusCodeRange(code))];
}
