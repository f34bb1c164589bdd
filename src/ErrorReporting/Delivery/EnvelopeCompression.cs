using System.IO.Compression;

namespace ErrorReporting.Delivery;

/// <summary>Gzip for request bodies (<c>Content-Encoding: gzip</c>): the fastest level, since error events are small and latency matters more than ratio.</summary>
internal static class EnvelopeCompression
{
    /// <summary>Compresses <paramref name="envelope"/> into <paramref name="destination"/>, which is reset first and reused across calls.</summary>
    public static ReadOnlyMemory<byte> Compress(ReadOnlySpan<byte> envelope, MemoryStream destination)
    {
        destination.SetLength(0);
        using (var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(envelope);
        }

        return destination.GetBuffer().AsMemory(0, (int)destination.Length);
    }
}
