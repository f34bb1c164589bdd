using Sentry.Extensibility;

namespace ErrorReporting.StackTraces;

/// <summary>
/// ErrorReporting's stack-trace factory for the SDK (<see cref="SentryOptions.UseStackTraceFactory"/>): the frames of an
/// exception from <see cref="StackFrameReader"/>, cached per method and per IL offset, so that the caller's thread does
/// not demystify names and re-read symbols and module files for every event. The current stack (a message with
/// <see cref="SentryOptions.AttachStacktrace"/> on) is left to the SDK's own factory.
/// </summary>
internal sealed class CachedStackTraceFactory : ISentryStackTraceFactory
{
    private readonly StackFrameReader _reader;
    private readonly SentryStackTraceFactory _currentStack;

    public CachedStackTraceFactory(SentryOptions options)
    {
        _reader = new StackFrameReader(options);
        _currentStack = new SentryStackTraceFactory(options);
    }

    public SentryStackTrace? Create(Exception? exception = null)
    {
        if (exception is null)
        {
            return _currentStack.Create();
        }

        var frames = _reader.ReadFrames(exception);
        if (frames.Count == 0)
        {
            return null;
        }

        var stackTrace = new SentryStackTrace();
        foreach (var frame in frames)
        {
            stackTrace.Frames.Add(frame);
        }

        return stackTrace;
    }
}
