using Mcp.Frames.FirmwareSim.Faults;

namespace Mcp.Frames.FirmwareSim.Definition;

/// <summary>Reads the <c>faults</c> object of a device definition (see firmware-sim/README.md, "Faults").</summary>
internal static class FaultDefinitionReader
{
    public static FaultSettings Read(DefinitionObject faults)
    {
        var settings = new FaultSettings
        {
            Seed = (ulong)faults.GetInteger("seed", 0, 0, long.MaxValue),
            Inbound = ReadLink(faults.GetOptionalObject("inbound")),
            Outbound = ReadLink(faults.GetOptionalObject("outbound")),
            Busy = faults.GetProbability("busy"),
            Slow = faults.GetMilliseconds("slowMs", TimeSpan.Zero),
            SlowJitter = faults.GetMilliseconds("slowJitterMs", TimeSpan.Zero),
            Silence = ReadSilence(faults.GetOptionalObject("silence")),
        };
        faults.EnsureNoUnknownProperties();
        return settings;
    }

    private static LinkFaults ReadLink(DefinitionObject? link)
    {
        if (link is null)
        {
            return LinkFaults.None;
        }

        var faults = new LinkFaults
        {
            CorruptByte = link.GetProbability("corrupt"),
            DropByte = link.GetProbability("dropByte"),
            DropFrame = link.GetProbability("dropFrame"),
            DuplicateFrame = link.GetProbability("duplicate"),
            Garbage = link.GetProbability("garbage"),
            GarbageMaxBytes = (int)link.GetInteger("garbageMaxBytes", 8, 1, 65536),
            Delay = link.GetMilliseconds("delayMs", TimeSpan.Zero),
            Jitter = link.GetMilliseconds("jitterMs", TimeSpan.Zero),
            ChunkBytes = (int)link.GetInteger("chunkBytes", 0, 0, 65536),
            ChunkGap = link.GetMilliseconds("chunkGapMs", TimeSpan.Zero),
            DisconnectAfterFrames = (int)link.GetInteger("disconnectAfterFrames", 0, 0, int.MaxValue),
        };
        link.EnsureNoUnknownProperties();
        return faults.IsNone ? LinkFaults.None : faults;
    }

    private static SilenceSchedule? ReadSilence(DefinitionObject? silence)
    {
        if (silence is null)
        {
            return null;
        }

        var schedule = new SilenceSchedule(
            silence.GetMilliseconds("afterMs", TimeSpan.Zero),
            silence.GetMilliseconds("forMs", TimeSpan.Zero),
            silence.GetMilliseconds("everyMs", TimeSpan.Zero));
        silence.EnsureNoUnknownProperties();
        if (schedule.Every > TimeSpan.Zero && schedule.Every < schedule.For)
        {
            throw silence.Error("everyMs", $"must be at least forMs ({schedule.For.TotalMilliseconds} ms), or 0 for a single silent period");
        }

        return schedule;
    }
}
