namespace Mcp.Frames.Connections;

/// <summary>How a connection ended: the reason, a message naming the link, and the error behind it, if any.</summary>
/// <param name="Reason">Why it ended.</param>
/// <param name="Message">A readable description naming the link.</param>
/// <param name="Error">The exception that ended it, if any.</param>
public sealed record ConnectionClosedInfo(ConnectionCloseReason Reason, string Message, Exception? Error);
