namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// Every fault the simulator can inject: byte and frame faults per direction, device-level faults (BUSY answers,
/// slow answers, silence), and the seed that makes them reproducible. Immutable; change the running faults with
/// <see cref="FaultController"/>.
/// </summary>
public sealed record FaultSettings
{
    /// <summary>No faults, seed 0.</summary>
    public static FaultSettings None { get; } = new();

    /// <summary>
    /// The seed of every fault decision. Each link gets its own random streams, derived from the seed and the link's
    /// number (links are numbered from 0 in the order they are served), so a run with the same seed, the same link
    /// order and the same bytes injects the same faults.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Faults on bytes the device receives.</summary>
    public LinkFaults Inbound { get; init; } = LinkFaults.None;

    /// <summary>Faults on bytes the device sends.</summary>
    public LinkFaults Outbound { get; init; } = LinkFaults.None;

    /// <summary>Probability per request that the device answers BUSY instead of handling it.</summary>
    public double Busy { get; init; }

    /// <summary>Extra time the device takes before handling each request.</summary>
    public TimeSpan Slow { get; init; }

    /// <summary>Random extra handling time per request, uniform from 0 to this, on top of <see cref="Slow"/>.</summary>
    public TimeSpan SlowJitter { get; init; }

    /// <summary>Scheduled silent periods, or <see langword="null"/> for none.</summary>
    public SilenceSchedule? Silence { get; init; }

    /// <summary>Checks every value and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Inbound, nameof(Inbound));
        ArgumentNullException.ThrowIfNull(Outbound, nameof(Outbound));
        Inbound.Validate("Inbound.");
        Outbound.Validate("Outbound.");
        LinkFaults.CheckProbability(Busy, nameof(Busy));
        LinkFaults.CheckDuration(Slow, nameof(Slow));
        LinkFaults.CheckDuration(SlowJitter, nameof(SlowJitter));
        Silence?.Validate();
    }

    /// <summary>The same settings with both directions' link faults set to <paramref name="faults"/>.</summary>
    /// <param name="faults">The link faults.</param>
    /// <returns>The new settings.</returns>
    public FaultSettings WithBothDirections(LinkFaults faults) => this with { Inbound = faults, Outbound = faults };

    /// <inheritdoc />
    public override string ToString() =>
        $"seed {Seed}; in: {Inbound}; out: {Outbound}; busy {Busy}; slow {Slow.TotalMilliseconds}+{SlowJitter.TotalMilliseconds} ms; silence {(Silence is null ? "none" : $"after {Silence.After.TotalMilliseconds} ms for {Silence.For.TotalMilliseconds} ms every {Silence.Every.TotalMilliseconds} ms")}";
}
