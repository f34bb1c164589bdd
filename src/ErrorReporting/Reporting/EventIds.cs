namespace ErrorReporting.Reporting;

/// <summary>
/// Event ids: random version-4 UUIDs (122 random bits), made without a system call. <see cref="Guid.NewGuid"/> reads the
/// OS's secure random source on every call, which costs hundreds of nanoseconds where system calls are expensive
/// (containers, sandboxes); the runtime's per-thread xoshiro256** generator, seeded from the OS for each thread, costs
/// tens. Event ids need uniqueness, not secrecy: two ids collide with probability about n²/2¹²³.
/// </summary>
internal static class EventIds
{
    public static Guid Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (the high nibble of the third group)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }
}
