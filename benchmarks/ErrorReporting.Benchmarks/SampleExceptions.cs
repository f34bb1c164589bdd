using System.Runtime.CompilerServices;

namespace ErrorReporting.Benchmarks;

/// <summary>
/// The exception the benchmarks report: thrown ten calls deep, with an inner exception. It lives apart from the
/// benchmark classes so that making one loads nothing of the library (the start-up child makes it before timing).
/// </summary>
internal static class SampleExceptions
{
    /// <summary>Frames of the reported exception: Throw10 … Throw1 and TenFramesWithInner (10); its inner exception has 2.</summary>
    public static Exception TenFramesWithInner()
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int depth)
    {
        if (depth > 0)
        {
            Throw(depth - 1);
            return;
        }

        try
        {
            ThrowInner();
        }
        catch (FormatException inner)
        {
            throw new InvalidOperationException("Could not read the configuration", inner);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInner() => throw new FormatException("The input string 'abc' was not in a correct format.");
}
