namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// The running faults of a host, changeable at any time (from an embedding test, a demo, or at start from the
/// definition file and the command line). Links read the current settings for every frame and request, so a change
/// applies at once to every link; the seed applies to links served after it is set.
/// </summary>
public sealed class FaultController
{
    private readonly TimeProvider _time;
    private readonly long _start;
    private FaultSettings _settings;
    private long _silentUntil;

    internal FaultController(FaultSettings initial, TimeProvider time)
    {
        initial.Validate();
        _settings = initial;
        _time = time;
        _start = time.GetTimestamp();
    }

    /// <summary>The settings in force.</summary>
    public FaultSettings Current => Volatile.Read(ref _settings);

    /// <summary>What was injected so far.</summary>
    public FaultCounters Counters { get; } = new();

    /// <summary>Whether the device is silent now (by <see cref="SilenceFor"/> or the silence schedule).</summary>
    public bool IsSilent
    {
        get
        {
            long now = _time.GetTimestamp();
            if (now < Volatile.Read(ref _silentUntil))
            {
                return true;
            }

            return Current.Silence is { } schedule && schedule.IsSilentAt(_time.GetElapsedTime(_start, now));
        }
    }

    /// <summary>Replaces the settings.</summary>
    /// <param name="settings">The new settings.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names it).</exception>
    public void Set(FaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Volatile.Write(ref _settings, settings);
    }

    /// <summary>Changes the settings, for example <c>faults.Update(f => f with { Busy = 0.5 })</c>.</summary>
    /// <param name="change">Makes the new settings from the current ones.</param>
    public void Update(Func<FaultSettings, FaultSettings> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Set(change(Current));
    }

    /// <summary>Removes every fault (keeping the seed) and ends a silence.</summary>
    public void Clear()
    {
        Set(FaultSettings.None with { Seed = Current.Seed });
        EndSilence();
    }

    /// <summary>Makes the device silent from now for <paramref name="duration"/> (device clock): it neither receives nor sends.</summary>
    /// <param name="duration">How long.</param>
    public void SilenceFor(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        long ticks = (long)(duration.TotalSeconds * _time.TimestampFrequency);
        Volatile.Write(ref _silentUntil, _time.GetTimestamp() + ticks);
    }

    /// <summary>Ends a silence started by <see cref="SilenceFor"/> (the schedule, if any, still applies).</summary>
    public void EndSilence() => Volatile.Write(ref _silentUntil, 0);
}
