using System.Runtime.CompilerServices;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The exception every benchmark reports: thrown ten calls deep and caught one call above, so that its stack trace has
/// 11 frames (<c>Throw</c> ×10 and <see cref="ElevenFrames"/>). It lives apart from the benchmark classes so that making
/// one loads nothing of the library or of the SDK (the start-up child makes it before timing).
/// </summary>
internal static class SampleExceptions
{
    /// <summary>The number of frames in the stack trace of <see cref="ElevenFrames"/>'s exception.</summary>
    public const int FrameCount = 11;

    /// <summary>Throws and catches a fresh exception with an 11-frame stack trace.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Exception ElevenFrames()
    {
        try
        {
            Throw(9);
        }
        catch (InvalidOperationException exception)
        {
            return exception;
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Throws <paramref name="count"/> fresh exceptions (their creation is never part of a measurement).</summary>
    public static Exception[] Many(int count)
    {
        var exceptions = new Exception[count];
        for (var i = 0; i < count; i++)
        {
            exceptions[i] = ElevenFrames();
        }

        return exceptions;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int depth)
    {
        if (depth > 0)
        {
            Throw(depth - 1);
            return;
        }

        throw new InvalidOperationException("Could not read the configuration");
    }
}
