using ErrorReporting.Reporting;

namespace ErrorReporting;

/// <summary>
/// Tags that apply to every report made within an asynchronous flow, such as one HTTP request or one message handled
/// by a consumer. Scopes nest: a scope starts with its parent's tags.
/// </summary>
/// <example>
/// <code>
/// using (var scope = ErrorReportingScope.Begin())
/// {
///     scope.SetTag("tenant", tenantId);
///     await HandleAsync(message); // every report made in here carries tenant=…
/// }
/// </code>
/// </example>
public sealed class ErrorReportingScope : IDisposable
{
    private static readonly AsyncLocal<ErrorReportingScope?> s_current = new();

    private readonly ErrorReportingScope? _parent;
    private readonly object _gate = new();
    private ScopeState _state;
    private bool _disposed;

    private ErrorReportingScope(ErrorReportingScope? parent)
    {
        _parent = parent;
        _state = parent?._state ?? ScopeState.Empty;
    }

    /// <summary>
    /// Gets the innermost scope of the current asynchronous flow, or <see langword="null"/> outside any scope.
    /// </summary>
    public static ErrorReportingScope? Current => s_current.Value;

    /// <summary>
    /// Starts a scope for the current asynchronous flow. Dispose it to end it.
    /// </summary>
    /// <returns>The new scope, now <see cref="Current"/>.</returns>
    public static ErrorReportingScope Begin()
    {
        var scope = new ErrorReportingScope(s_current.Value);
        s_current.Value = scope;
        return scope;
    }

    /// <summary>
    /// Sets a tag on this scope, replacing a tag with the same key; a <see langword="null"/> value removes it.
    /// Reports already made keep the tags they were made with.
    /// </summary>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The tag value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    public void SetTag(string key, string? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _state = _state.With(key, value);
        }
    }

    /// <summary>
    /// Gets the tags of this scope, including those inherited from its parent when it began.
    /// </summary>
    public IReadOnlyDictionary<string, string> Tags => _state.ToDictionary();

    /// <summary>
    /// Ends the scope: its parent becomes <see cref="Current"/> again.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = _parent;
        }
    }

    internal static ScopeState? CurrentState => s_current.Value?._state;
}
