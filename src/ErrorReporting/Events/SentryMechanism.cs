namespace ErrorReporting.Events;

/// <summary>
/// How an exception was caught (<c>mechanism</c>). On the last exception value it decides Sentry's
/// <c>handled:yes/no</c> and <c>mechanism</c> tags.
/// </summary>
public sealed class SentryMechanism
{
    /// <summary>Gets or sets the mechanism type, for example <c>generic</c>, <c>chained</c> or <c>AppDomain.UnhandledException</c>.</summary>
    /// <value>The default value is <c>generic</c>; a blank value is sent as <c>generic</c>.</value>
    public string Type { get; set; } = "generic";

    /// <summary>Gets or sets a human-readable description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets where a chained exception came from: <c>InnerException</c> or <c>InnerExceptions[i]</c>.</summary>
    public string? Source { get; set; }

    /// <summary>Gets or sets a value indicating whether the application handled the exception.</summary>
    public bool? Handled { get; set; }

    /// <summary>Gets or sets a value indicating whether the exception groups others (an <see cref="AggregateException"/>).</summary>
    public bool IsExceptionGroup { get; set; }

    /// <summary>Gets or sets the id of this exception within the event (set when the event has more than one exception).</summary>
    public int? ExceptionId { get; set; }

    /// <summary>Gets or sets the <see cref="ExceptionId"/> of the exception that contains this one.</summary>
    public int? ParentId { get; set; }

    /// <summary>Gets or sets a link to documentation about the exception.</summary>
    public string? HelpLink { get; set; }

    /// <summary>Gets or sets the exception's <see cref="Exception.HResult"/>, sent as <c>data.HResult</c> (<c>"0x80131509"</c>).</summary>
    public int? HResult { get; set; }

    /// <summary>Gets arbitrary data about the exception: the string-keyed entries of <see cref="Exception.Data"/>.</summary>
    public IDictionary<string, string> Data => DataOrNull ??= new Dictionary<string, string>(StringComparer.Ordinal);

    internal Dictionary<string, string>? DataOrNull { get; private set; }
}
