using System.Runtime.CompilerServices;

namespace ErrorReporting.Tests.Infrastructure;

internal static class Exceptions
{
    /// <summary>Throws and catches <paramref name="exception"/> so it carries a stack trace from this frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Thrown<T>(T exception)
        where T : Exception
    {
        try
        {
            throw exception;
        }
        catch (T caught)
        {
            return caught;
        }
    }

    /// <summary>An exception thrown three calls deep, wrapping an inner exception thrown deeper.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static InvalidOperationException Nested()
    {
        try
        {
            Level1();
            throw new UnreachableException();
        }
        catch (InvalidOperationException caught)
        {
            return caught;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Level1()
    {
        try
        {
            Level2();
        }
        catch (FormatException inner)
        {
            throw new InvalidOperationException("outer failure", inner);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Level2() => throw new FormatException("inner failure");

    private sealed class UnreachableException : Exception;
}
