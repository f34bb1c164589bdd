using ErrorReporting.StackTraces;
using Sentry.Extensibility;
using Sentry.Protocol;

namespace ErrorReporting.Processors;

/// <summary>
/// What the SDK's factory does for server-side symbolication, for the frames of <see cref="CachedStackTraceFactory"/>:
/// the modules' debug images go into the event's <c>debug_meta</c> (each once, copied from the per-module cache) and
/// each frame of such a module gets <c>addr_mode: "rel:N"</c>, N the image's index. With the frame's IL offset
/// (<c>instruction_addr</c>) and method token (<c>function_id</c>), Sentry can resolve file and line from uploaded
/// symbols when the application ships without them.
/// </summary>
internal sealed class DebugImagesProcessor : ISentryEventProcessor
{
    private static readonly string[] s_addressModes = [.. Enumerable.Range(0, 16).Select(i => FormattableString.Invariant($"rel:{i}"))];

    public SentryEvent? Process(SentryEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (@event.SentryExceptions is not { } exceptions)
        {
            return @event;
        }

        foreach (var exception in exceptions)
        {
            if (exception.Stacktrace is not CachedStackTrace stackTrace)
            {
                continue;
            }

            var frames = stackTrace.Frames;
            var images = stackTrace.FrameImages;
            for (var i = 0; i < frames.Count && i < images.Count; i++)
            {
                if (images[i] is { } image)
                {
                    frames[i].AddressMode = AddressMode(IndexOf(image, @event));
                }
            }
        }

        return @event;
    }

    /// <summary>The index of the module's image in the event's list, added (as a copy) the first time.</summary>
    private static int IndexOf(DebugImage image, SentryEvent @event)
    {
        var list = @event.DebugImages ??= [];
        for (var i = 0; i < list.Count; i++)
        {
            // A copy made here shares the cached image's strings.
            if (ReferenceEquals(list[i].DebugId, image.DebugId) && ReferenceEquals(list[i].CodeFile, image.CodeFile))
            {
                return i;
            }
        }

        // A copy, so that what a BeforeSend callback changes in one event's image stays in that event.
        list.Add(new DebugImage
        {
            Type = image.Type,
            ImageAddress = image.ImageAddress,
            ImageSize = image.ImageSize,
            DebugId = image.DebugId,
            DebugChecksum = image.DebugChecksum,
            DebugFile = image.DebugFile,
            CodeId = image.CodeId,
            CodeFile = image.CodeFile,
        });
        return list.Count - 1;
    }

    private static string AddressMode(int index) => index < s_addressModes.Length ? s_addressModes[index] : FormattableString.Invariant($"rel:{index}");
}
