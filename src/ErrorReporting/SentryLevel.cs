namespace ErrorReporting;

/// <summary>
/// The severity of an event, as Sentry defines it.
/// </summary>
public enum SentryLevel
{
    /// <summary>Debugging information (<c>debug</c>).</summary>
    Debug = 0,

    /// <summary>Informational (<c>info</c>), the default for messages.</summary>
    Info = 1,

    /// <summary>A warning (<c>warning</c>).</summary>
    Warning = 2,

    /// <summary>An error (<c>error</c>), the default for exceptions.</summary>
    Error = 3,

    /// <summary>A fatal error (<c>fatal</c>).</summary>
    Fatal = 4,
}
