namespace Mcp.Frames.FirmwareSim.Hosting;

/// <summary>A link a host serves.</summary>
/// <param name="Number">The link's number: 0, 1… in the order links were served (it selects the link's fault streams).</param>
/// <param name="Name">The link's name, such as <c>tcp 127.0.0.1:40112</c> or <c>pty /dev/pts/3</c>.</param>
public sealed record SimLinkInfo(int Number, string Name);
