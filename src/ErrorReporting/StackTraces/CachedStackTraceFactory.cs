using Sentry.Extensibility;
using Sentry.Protocol;

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

        var images = new List<DebugImage?>(0);
        var frames = _reader.ReadFrames(exception, images);
        return frames.Count == 0 ? null : new CachedStackTrace(frames, images);
    }
}

/// <summary>
/// A stack trace the factory made, which remembers each frame's module debug image until
/// <see cref="Processors.DebugImagesProcessor"/> puts the images into the event and points the frames at them
/// (<c>addr_mode</c>). Serialized as any <see cref="SentryStackTrace"/>.
/// </summary>
internal sealed class CachedStackTrace : SentryStackTrace
{
    public CachedStackTrace(List<SentryStackFrame> frames, List<DebugImage?> images)
    {
        Frames = frames;
        FrameImages = images;
    }

    /// <summary>Gets the debug image of each frame's module, one per frame (<see langword="null"/> when it has none).</summary>
    public IReadOnlyList<DebugImage?> FrameImages { get; }
}
