using Mcp.Frames.Mcp1;

namespace Mcp.Frames.Profiles;

/// <summary>
/// The MCP/1 message profile (PROTOCOL.md §2): requests carry a <c>seq</c> byte, responses <c>seq, status</c>;
/// a response is matched by <c>(cmd &amp; 0x7F, seq)</c>.
/// </summary>
public sealed class Mcp1Profile : IMessageProfile
{
    /// <summary>The shared instance (the profile holds no state; matchers do).</summary>
    public static Mcp1Profile Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "MCP/1";

    /// <inheritdoc />
    public int RequestHeaderLength => 1;

    /// <inheritdoc />
    public int ResponseHeaderLength => 2;

    /// <inheritdoc />
    public bool HasStatus => true;

    /// <inheritdoc />
    public byte OkStatus => (byte)McpStatus.Ok;

    /// <inheritdoc />
    public byte UnknownCommandStatus => (byte)McpStatus.UnknownCommand;

    /// <inheritdoc />
    public byte BusyStatus => (byte)McpStatus.Busy;

    /// <inheritdoc />
    public byte InternalErrorStatus => (byte)McpStatus.InternalError;

    /// <inheritdoc />
    public byte BadRequestStatus => (byte)McpStatus.BadRequest;

    /// <inheritdoc />
    public byte? HeartbeatCommand => McpCommand.Ping;

    /// <inheritdoc />
    public FrameKind Classify(byte command, ReadOnlySpan<byte> payload)
    {
        if (command >= McpCommand.ResponseBit)
        {
            return payload.Length >= 2 ? FrameKind.Response : FrameKind.Malformed;
        }

        if (McpCommand.IsOneWay(command))
        {
            return FrameKind.OneWay;
        }

        // §2.1: a request with an empty payload has no seq and cannot be answered.
        return payload.IsEmpty ? FrameKind.Malformed : FrameKind.Request;
    }

    /// <inheritdoc />
    public byte GetResponseCommand(byte requestCommand) => (byte)(requestCommand | McpCommand.ResponseBit);

    /// <inheritdoc />
    public int ReadResponseHeader(ReadOnlySpan<byte> payload, out byte status)
    {
        status = payload[1];
        return 2;
    }

    /// <inheritdoc />
    public void WriteResponseHeader(Span<byte> destination, ReadOnlySpan<byte> requestHeader, byte status)
    {
        destination[0] = requestHeader[0];
        destination[1] = status;
    }

    /// <inheritdoc />
    public string DescribeStatus(byte status) => McpStatusNames.Get(status);

    /// <inheritdoc />
    public IRequestMatcher CreateMatcher(TimeProvider timeProvider) => new Mcp1RequestMatcher(timeProvider);
}
