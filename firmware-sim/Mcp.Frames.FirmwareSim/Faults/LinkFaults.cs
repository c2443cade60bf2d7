using System.Globalization;

namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// Byte and frame faults for one direction of a link (bytes the device receives, or bytes it sends). Applied by a
/// wrapper between the transport and the device's frame connection; every decision comes from the link's seeded
/// random stream, so the same seed and the same bytes give the same faults.
/// </summary>
public sealed record LinkFaults
{
    /// <summary>No faults.</summary>
    public static LinkFaults None { get; } = new();

    /// <summary>Probability per byte that it is corrupted (XORed with a random non-zero mask).</summary>
    public double CorruptByte { get; init; }

    /// <summary>Probability per byte that it is dropped.</summary>
    public double DropByte { get; init; }

    /// <summary>Probability per frame that the whole frame is dropped.</summary>
    public double DropFrame { get; init; }

    /// <summary>Probability per frame that it is sent twice.</summary>
    public double DuplicateFrame { get; init; }

    /// <summary>Probability per frame that random garbage (1 to <see cref="GarbageMaxBytes"/> bytes) goes before it.</summary>
    public double Garbage { get; init; }

    /// <summary>The most garbage bytes inserted at once (default 8).</summary>
    public int GarbageMaxBytes { get; init; } = 8;

    /// <summary>Extra latency for every frame. Order is kept: a frame never overtakes an earlier one.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Random extra latency per frame, uniform from 0 to this, on top of <see cref="Delay"/>.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>When above 0, writes are split into chunks of 1 to this many bytes.</summary>
    public int ChunkBytes { get; init; }

    /// <summary>The pause between chunks when <see cref="ChunkBytes"/> is set.</summary>
    public TimeSpan ChunkGap { get; init; }

    /// <summary>When above 0, the link is disconnected after this many frames in this direction.</summary>
    public int DisconnectAfterFrames { get; init; }

    /// <summary>Whether no fault is configured.</summary>
    public bool IsNone => Equals(None);

    /// <summary>Whether any fault needs frame boundaries (everything except plain byte faults).</summary>
    internal bool NeedsFrames => DropFrame > 0 || DuplicateFrame > 0 || Garbage > 0 || Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero || DisconnectAfterFrames > 0;

    /// <summary>Checks every value and throws an exception naming the bad one.</summary>
    /// <param name="prefix">Prefix for the names in messages, such as <c>Inbound.</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate(string prefix = "")
    {
        CheckProbability(CorruptByte, prefix + nameof(CorruptByte));
        CheckProbability(DropByte, prefix + nameof(DropByte));
        CheckProbability(DropFrame, prefix + nameof(DropFrame));
        CheckProbability(DuplicateFrame, prefix + nameof(DuplicateFrame));
        CheckProbability(Garbage, prefix + nameof(Garbage));
        CheckRange(GarbageMaxBytes, 1, 65536, prefix + nameof(GarbageMaxBytes));
        CheckDuration(Delay, prefix + nameof(Delay));
        CheckDuration(Jitter, prefix + nameof(Jitter));
        CheckRange(ChunkBytes, 0, 65536, prefix + nameof(ChunkBytes));
        CheckDuration(ChunkGap, prefix + nameof(ChunkGap));
        CheckRange(DisconnectAfterFrames, 0, int.MaxValue, prefix + nameof(DisconnectAfterFrames));
    }

    /// <inheritdoc />
    public override string ToString()
    {
        if (IsNone)
        {
            return "none";
        }

        var parts = new List<string>();
        Add(parts, "corrupt", CorruptByte);
        Add(parts, "drop-byte", DropByte);
        Add(parts, "drop-frame", DropFrame);
        Add(parts, "duplicate", DuplicateFrame);
        Add(parts, "garbage", Garbage);
        if (Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"delay {Delay.TotalMilliseconds:0}+{Jitter.TotalMilliseconds:0} ms"));
        }

        if (ChunkBytes > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"chunks of ≤{ChunkBytes} B, gap {ChunkGap.TotalMilliseconds:0} ms"));
        }

        if (DisconnectAfterFrames > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"disconnect after {DisconnectAfterFrames} frames"));
        }

        return string.Join(", ", parts);
    }

    internal static void CheckProbability(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a probability from 0 to 1; got {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    internal static void CheckDuration(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be from 0 to {int.MaxValue} ms; got {value}.");
        }
    }

    private static void CheckRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be from {min} to {max}; got {value}.");
        }
    }

    private static void Add(List<string> parts, string name, double p)
    {
        if (p > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {p:0.####}"));
        }
    }
}
