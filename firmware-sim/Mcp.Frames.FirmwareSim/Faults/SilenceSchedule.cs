namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// When the device goes silent: from <see cref="After"/> (since the host started) for <see cref="For"/>, and again
/// every <see cref="Every"/> if that is set. While silent the device neither receives nor sends a frame.
/// </summary>
/// <param name="After">The start of the first silent period, from the host's start.</param>
/// <param name="For">How long each silent period lasts.</param>
/// <param name="Every">The distance between the starts of silent periods; <see cref="TimeSpan.Zero"/> for once.</param>
public sealed record SilenceSchedule(TimeSpan After, TimeSpan For, TimeSpan Every)
{
    /// <summary>Whether the device is silent at <paramref name="sinceStart"/> after the host started.</summary>
    /// <param name="sinceStart">The time since the host started.</param>
    /// <returns><see langword="true"/> while silent.</returns>
    public bool IsSilentAt(TimeSpan sinceStart)
    {
        if (For <= TimeSpan.Zero || sinceStart < After)
        {
            return false;
        }

        TimeSpan into = sinceStart - After;
        if (Every > TimeSpan.Zero)
        {
            into = TimeSpan.FromTicks(into.Ticks % Every.Ticks);
        }

        return into < For;
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative, or <see cref="Every"/> is shorter than <see cref="For"/>.</exception>
    public void Validate()
    {
        LinkFaults.CheckDuration(After, "Silence.After");
        LinkFaults.CheckDuration(For, "Silence.For");
        LinkFaults.CheckDuration(Every, "Silence.Every");
        if (Every > TimeSpan.Zero && Every < For)
        {
            throw new ArgumentOutOfRangeException(nameof(Every), Every, $"Silence.Every ({Every.TotalMilliseconds} ms) must be at least Silence.For ({For.TotalMilliseconds} ms), or 0 for a single period.");
        }
    }
}
