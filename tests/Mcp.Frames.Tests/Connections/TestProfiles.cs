using Mcp.Frames.Profiles;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// An MCP/1 profile that can hold the read loop inside <see cref="ReadResponseHeader"/> — after the connection has
/// taken the response's waiter out of its table and before it completes it. Used to open, on purpose, the window in
/// which a timeout can recycle that waiter for a newer request.
/// </summary>
internal sealed class GatedResponseProfile(IMessageProfile inner) : IMessageProfile
{
    private int _blockNext;

    public ManualResetEventSlim Entered { get; } = new(false);

    public ManualResetEventSlim Release { get; } = new(true);

    public string Name => inner.Name;

    public int RequestHeaderLength => inner.RequestHeaderLength;

    public int ResponseHeaderLength => inner.ResponseHeaderLength;

    public bool HasStatus => inner.HasStatus;

    public byte OkStatus => inner.OkStatus;

    public byte UnknownCommandStatus => inner.UnknownCommandStatus;

    public byte BusyStatus => inner.BusyStatus;

    public byte InternalErrorStatus => inner.InternalErrorStatus;

    public byte BadRequestStatus => inner.BadRequestStatus;

    public byte? HeartbeatCommand => inner.HeartbeatCommand;

    /// <summary>The next response's header read blocks until <see cref="Release"/> is set.</summary>
    public void BlockNextResponse()
    {
        Release.Reset();
        Entered.Reset();
        Volatile.Write(ref _blockNext, 1);
    }

    public FrameKind Classify(byte command, ReadOnlySpan<byte> payload) => inner.Classify(command, payload);

    public byte GetResponseCommand(byte requestCommand) => inner.GetResponseCommand(requestCommand);

    public int ReadResponseHeader(ReadOnlySpan<byte> payload, out byte status)
    {
        if (Interlocked.Exchange(ref _blockNext, 0) == 1)
        {
            Entered.Set();
            Release.Wait(TimeSpan.FromSeconds(10));
        }

        return inner.ReadResponseHeader(payload, out status);
    }

    public void WriteResponseHeader(Span<byte> destination, ReadOnlySpan<byte> requestHeader, byte status) =>
        inner.WriteResponseHeader(destination, requestHeader, status);

    public string DescribeStatus(byte status) => inner.DescribeStatus(status);

    public IRequestMatcher CreateMatcher(TimeProvider timeProvider) => inner.CreateMatcher(timeProvider);
}
