using Microsoft.Extensions.Logging;

namespace ErrorReporting.Diagnostics;

/// <summary>
/// The loggers of ErrorReporting's parts that live inside the SDK's options (the delivery engine, the SDK's diagnostic
/// logger bridge). Those options are often created while the application's <see cref="ILoggerFactory"/> is itself
/// being built (<c>UseSentry()</c> and <c>AddSentry()</c> initialise the SDK from a logger provider), so the factory
/// cannot be resolved then: messages logged before <see cref="Attach"/> are kept (the latest
/// <see cref="MaxBuffered"/>) and written to the application's loggers when it is attached.
/// </summary>
internal sealed class DeferredLoggerFactory : ILoggerFactory
{
    internal const int MaxBuffered = 256;

    private readonly object _gate = new();
    private readonly Queue<Buffered> _buffered = new();
    private ILoggerFactory? _target;

    /// <summary>Gets a value indicating whether the application's factory is attached.</summary>
    public bool IsAttached => Volatile.Read(ref _target) is not null;

    /// <summary>Sends what was logged so far, and everything from now on, to <paramref name="target"/> (the first one attached wins).</summary>
    public void Attach(ILoggerFactory target)
    {
        Buffered[] pending;
        lock (_gate)
        {
            if (_target is not null)
            {
                return;
            }

            _target = target;
            pending = [.. _buffered];
            _buffered.Clear();
        }

        foreach (var message in pending)
        {
            target.CreateLogger(message.Category).Log(message.Level, message.EventId, message.Text, message.Exception, static (text, _) => text);
        }
    }

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("Add logger providers to the application's logging, not to ErrorReporting's.");

    public void Dispose()
    {
        // The application owns the attached factory.
    }

    private void Log(string category, LogLevel level, EventId eventId, string text, Exception? exception)
    {
        ILoggerFactory? target;
        lock (_gate)
        {
            target = _target;
            if (target is null)
            {
                if (_buffered.Count >= MaxBuffered)
                {
                    _buffered.Dequeue();
                }

                _buffered.Enqueue(new Buffered(category, level, eventId, text, exception));
                return;
            }
        }

        try
        {
            target.CreateLogger(category).Log(level, eventId, text, exception, static (message, _) => message);
        }
        catch (ObjectDisposedException)
        {
            // The application's logging was disposed before the last of ErrorReporting's parts stopped.
        }
    }

    private sealed record Buffered(string Category, LogLevel Level, EventId EventId, string Text, Exception? Exception);

    private sealed class DeferredLogger(DeferredLoggerFactory owner, string category) : ILogger
    {
        private ILogger? _target;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
            => Target?.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => Target?.IsEnabled(logLevel) ?? logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Target is { } target)
            {
                target.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            owner.Log(category, logLevel, eventId, formatter(state, exception), exception);
        }

        private ILogger? Target
        {
            get
            {
                try
                {
                    return _target ??= Volatile.Read(ref owner._target)?.CreateLogger(category);
                }
                catch (ObjectDisposedException)
                {
                    // The application's logging was disposed before the last of ErrorReporting's parts stopped.
                    return _target = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
                }
            }
        }
    }
}
