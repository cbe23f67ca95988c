namespace Subclone.Data;

/// <summary>
/// A tiny seeded random generator whose whole state is one 64-bit number, so a checkpoint can store exactly where
/// sampling stands and the sequence is the same on every runtime (System.Random's seeded sequence is not promised).
/// </summary>
public sealed class SplitMix64(ulong state)
{
    /// <summary>The whole generator state: saving it and setting it back continues the same sequence.</summary>
    public ulong State { get; set; } = state;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>), by rejection so no value is favoured.</summary>
    public long NextInt64(long bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "must be positive");
        ulong b = (ulong)bound, limit = ulong.MaxValue - ulong.MaxValue % b;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return (long)(x % b);
    }
}
