using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.Testing.Internal;

/// <summary>
/// Bytes in an array rented from <see cref="ArrayPool{T}.Shared"/>, filled from the start and grown on demand up to
/// a limit. A value type: exactly one copy must call <see cref="Return"/>.
/// </summary>
internal struct PooledBytes
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PooledBytes(int size)
    {
        Array = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        Length = 0;
    }

    /// <summary>Gets the rented array, or <see langword="null"/> once returned (or for the default value).</summary>
    public byte[]? Array { get; private set; }

    /// <summary>Gets the number of bytes filled.</summary>
    public int Length { get; private set; }

    public readonly ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);

    /// <summary>Gets the space after the bytes filled.</summary>
    public readonly Memory<byte> Free => Array.AsMemory(Length);

    /// <summary>Makes sure there is free space, growing up to one byte more than <paramref name="limit"/> (enough to see it exceeded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EnsureSpace(int limit)
    {
        var array = Array!;
        if (Length < array.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(2L * array.Length, 256), (long)limit + 1));
        array.AsSpan(0, Length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(array);
        Array = larger;
    }

    /// <summary>Counts <paramref name="count"/> more bytes as filled.</summary>
    /// <exception cref="BadHttpRequestException">There are now more than <paramref name="limit"/> bytes (status 413).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Advance(int count, int limit)
    {
        Length += count;
        if (Length > limit)
        {
            throw new BadHttpRequestException($"the body exceeds {limit} bytes", StatusCodes.Status413PayloadTooLarge);
        }
    }

    /// <summary>Returns the array to the pool (once; later calls do nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Return()
    {
        if (Array is { } array)
        {
            Array = null;
            Length = 0;
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
