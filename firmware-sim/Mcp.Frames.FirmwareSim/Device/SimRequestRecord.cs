using Mcp.Frames.Mcp1;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>One request the simulated device received and how it answered it.</summary>
/// <param name="Sequence">Position in the log, from 1.</param>
/// <param name="Time">When the answer was sent (device clock).</param>
/// <param name="Link">The link's name, such as <c>tcp 127.0.0.1:40112</c>.</param>
/// <param name="LinkNumber">The link's number (0, 1… in the order links were served).</param>
/// <param name="Command">The request command.</param>
/// <param name="Seq">The request's <c>seq</c> byte.</param>
/// <param name="Body">The request body after <c>seq</c> (a copy).</param>
/// <param name="Status">The status answered.</param>
/// <param name="Detail">The message sent with a non-OK status, if any.</param>
public sealed record SimRequestRecord(long Sequence, DateTimeOffset Time, string Link, int LinkNumber, byte Command, byte Seq, ReadOnlyMemory<byte> Body, McpStatus Status, string? Detail)
{
    /// <summary>The command's name, such as <c>READ</c>.</summary>
    public string CommandName => McpCommand.GetName(Command);

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Link}: {CommandName} seq {Seq} ({Body.Length} B) → {Status}{(Detail is null ? "" : ": " + Detail)}";
}
