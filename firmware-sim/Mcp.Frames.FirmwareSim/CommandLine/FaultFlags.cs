using System.CommandLine;
using System.CommandLine.Parsing;
using Mcp.Frames.FirmwareSim.Faults;

namespace Mcp.Frames.FirmwareSim.CommandLine;

/// <summary>
/// The fault flags. Each link fault has three spellings: <c>--corrupt</c> (both directions), <c>--corrupt-in</c>
/// (bytes the device receives) and <c>--corrupt-out</c> (bytes it sends); a direction's own flag wins.
/// </summary>
internal sealed class FaultFlags
{
    private readonly List<ILinkFlag> _linkFlags = [];

    public FaultFlags(RootCommand root)
    {
        AddLink(root, "--corrupt", "P", "Corrupt each byte with probability P", FlagParsers.Probability, static (f, v) => f with { CorruptByte = v });
        AddLink(root, "--drop-byte", "P", "Drop each byte with probability P", FlagParsers.Probability, static (f, v) => f with { DropByte = v });
        AddLink(root, "--drop-frame", "P", "Drop each frame with probability P", FlagParsers.Probability, static (f, v) => f with { DropFrame = v });
        AddLink(root, "--duplicate", "P", "Send each frame twice with probability P", FlagParsers.Probability, static (f, v) => f with { DuplicateFrame = v });
        AddLink(root, "--garbage", "P", "Insert random garbage before a frame with probability P", FlagParsers.Probability, static (f, v) => f with { Garbage = v });
        AddLink(root, "--garbage-max", "N", "At most N garbage bytes at a time (default 8)", r => FlagParsers.Count(r, 1, 65536), static (f, v) => f with { GarbageMaxBytes = v });
        AddLink(root, "--delay", "MS", "Delay every frame by MS milliseconds (order is kept)", FlagParsers.Milliseconds, static (f, v) => f with { Delay = v });
        AddLink(root, "--jitter", "MS", "Add a random 0..MS ms to every frame's delay", FlagParsers.Milliseconds, static (f, v) => f with { Jitter = v });
        AddLink(root, "--chunk", "N", "Split writes into random chunks of 1..N bytes", r => FlagParsers.Count(r, 0, 65536), static (f, v) => f with { ChunkBytes = v });
        AddLink(root, "--chunk-gap", "MS", "Pause MS ms between chunks", FlagParsers.Milliseconds, static (f, v) => f with { ChunkGap = v });
        AddLink(root, "--disconnect-after", "N", "Disconnect the link after N frames", r => FlagParsers.Count(r, 0, int.MaxValue), static (f, v) => f with { DisconnectAfterFrames = v });

        Busy = Add(root, new Option<double>("--busy") { HelpName = "P", Description = "Answer each request BUSY with probability P", CustomParser = FlagParsers.Probability });
        Slow = Add(root, new Option<TimeSpan>("--slow") { HelpName = "MS", Description = "Take MS milliseconds longer to answer each request", CustomParser = FlagParsers.Milliseconds });
        SlowJitter = Add(root, new Option<TimeSpan>("--slow-jitter") { HelpName = "MS", Description = "Add a random 0..MS ms to each answer's time", CustomParser = FlagParsers.Milliseconds });
        SilentAfter = Add(root, new Option<TimeSpan>("--silent-after") { HelpName = "MS", Description = "Go silent MS ms after start (with --silent-for)", CustomParser = FlagParsers.Milliseconds });
        SilentFor = Add(root, new Option<TimeSpan>("--silent-for") { HelpName = "MS", Description = "Stay silent (receive and send nothing) for MS ms", CustomParser = FlagParsers.Milliseconds });
        SilentEvery = Add(root, new Option<TimeSpan>("--silent-every") { HelpName = "MS", Description = "Repeat the silent period every MS ms", CustomParser = FlagParsers.Milliseconds });
        Seed = Add(root, new Option<ulong>("--seed") { HelpName = "N", Description = "Seed of every fault decision (same seed, same faults)", CustomParser = FlagParsers.Seed });

        root.Validators.Add(result =>
        {
            bool any = result.GetResult(SilentAfter) is not null || result.GetResult(SilentEvery) is not null;
            if (any && result.GetResult(SilentFor) is null)
            {
                result.AddError("--silent-after and --silent-every need --silent-for (how long each silent period lasts).");
            }

            if (result.GetResult(SilentEvery) is not null && result.GetResult(SilentFor) is not null
                && result.GetValue(SilentEvery) is var every && every > TimeSpan.Zero && every < result.GetValue(SilentFor))
            {
                result.AddError("--silent-every must be at least --silent-for (or 0 for a single silent period).");
            }
        });
    }

    private interface ILinkFlag
    {
        LinkFaults Apply(ParseResult result, LinkFaults faults, bool isInbound);
    }

    public Option<double> Busy { get; }

    public Option<TimeSpan> Slow { get; }

    public Option<TimeSpan> SlowJitter { get; }

    public Option<TimeSpan> SilentAfter { get; }

    public Option<TimeSpan> SilentFor { get; }

    public Option<TimeSpan> SilentEvery { get; }

    public Option<ulong> Seed { get; }

    /// <summary>The definition's faults with every flag given on the command line applied over them.</summary>
    public FaultSettings Apply(ParseResult result, FaultSettings baseline)
    {
        LinkFaults inbound = baseline.Inbound;
        LinkFaults outbound = baseline.Outbound;
        foreach (ILinkFlag flag in _linkFlags)
        {
            inbound = flag.Apply(result, inbound, isInbound: true);
            outbound = flag.Apply(result, outbound, isInbound: false);
        }

        FaultSettings settings = baseline with
        {
            Inbound = inbound.IsNone ? LinkFaults.None : inbound,
            Outbound = outbound.IsNone ? LinkFaults.None : outbound,
        };
        if (result.GetResult(Seed) is not null)
        {
            settings = settings with { Seed = result.GetValue(Seed) };
        }

        if (result.GetResult(Busy) is not null)
        {
            settings = settings with { Busy = result.GetValue(Busy) };
        }

        if (result.GetResult(Slow) is not null)
        {
            settings = settings with { Slow = result.GetValue(Slow) };
        }

        if (result.GetResult(SlowJitter) is not null)
        {
            settings = settings with { SlowJitter = result.GetValue(SlowJitter) };
        }

        if (result.GetResult(SilentFor) is not null)
        {
            settings = settings with
            {
                Silence = new SilenceSchedule(result.GetValue(SilentAfter), result.GetValue(SilentFor), result.GetValue(SilentEvery)),
            };
        }

        return settings;
    }

    private static Option<T> Add<T>(RootCommand root, Option<T> option)
    {
        root.Options.Add(option);
        return option;
    }

    private void AddLink<T>(RootCommand root, string name, string valueName, string description, Func<ArgumentResult, T> parse, Func<LinkFaults, T, LinkFaults> apply)
    {
        var both = new Option<T>(name) { HelpName = valueName, Description = $"{description} (both directions; {name}-in / {name}-out for one)", CustomParser = r => parse(r) };
        var inbound = new Option<T>(name + "-in") { HelpName = valueName, Description = $"{description}, bytes the device receives", CustomParser = r => parse(r), Hidden = true };
        var outbound = new Option<T>(name + "-out") { HelpName = valueName, Description = $"{description}, bytes the device sends", CustomParser = r => parse(r), Hidden = true };
        root.Options.Add(both);
        root.Options.Add(inbound);
        root.Options.Add(outbound);
        _linkFlags.Add(new LinkFlag<T>(both, inbound, outbound, apply));
    }

    private sealed class LinkFlag<T>(Option<T> both, Option<T> inbound, Option<T> outbound, Func<LinkFaults, T, LinkFaults> apply) : ILinkFlag
    {
        public LinkFaults Apply(ParseResult result, LinkFaults faults, bool isInbound)
        {
            Option<T> own = isInbound ? inbound : outbound;
            if (result.GetResult(own) is not null)
            {
                return apply(faults, result.GetValue(own)!);
            }

            return result.GetResult(both) is not null ? apply(faults, result.GetValue(both)!) : faults;
        }
    }
}
