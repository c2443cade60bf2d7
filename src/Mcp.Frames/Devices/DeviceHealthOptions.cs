namespace Mcp.Frames.Devices;

/// <summary>When a device counts as degraded. Checked by <see cref="DeviceRegistry"/> every <see cref="EvaluationInterval"/>.</summary>
public sealed class DeviceHealthOptions
{
    /// <summary>How often health is evaluated (default 500 ms).</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Connected but nothing received for this long: degraded (missed heartbeats; default 3 s).</summary>
    public TimeSpan DegradedAfterSilence { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The share of failed request attempts (timeouts and errors) in one evaluation interval above which the device is degraded (default 0.25).</summary>
    public double DegradedErrorRate { get; set; } = 0.25;

    /// <summary>The fewest attempts in an interval for the error rate to count (default 4).</summary>
    public int ErrorRateMinimumSample { get; set; } = 4;

    /// <summary>Checks the settings and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (EvaluationInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(EvaluationInterval), EvaluationInterval, "EvaluationInterval must be positive.");
        }

        if (DegradedAfterSilence <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DegradedAfterSilence), DegradedAfterSilence, "DegradedAfterSilence must be positive.");
        }

        if (DegradedErrorRate is < 0 or > 1 || double.IsNaN(DegradedErrorRate))
        {
            throw new ArgumentOutOfRangeException(nameof(DegradedErrorRate), DegradedErrorRate, "DegradedErrorRate must be between 0 and 1.");
        }

        if (ErrorRateMinimumSample < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ErrorRateMinimumSample), ErrorRateMinimumSample, "ErrorRateMinimumSample must be at least 1.");
        }
    }
}
