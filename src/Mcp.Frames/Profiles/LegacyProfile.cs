namespace Mcp.Frames.Profiles;

/// <summary>
/// A profile for firmware without MCP/1's sequence byte (PROTOCOL.md §2.4): response cmd = request cmd | 0x80, the
/// payloads carry only the body, and there is no status byte. At most one request per command is in flight, so
/// answers to one command come in order; after a request of a command is abandoned, that command is not sent again
/// for the retirement period, so its late answer is dropped instead of completing the next request.
/// </summary>
public sealed class LegacyProfile : IMessageProfile
{
    private readonly LegacyProfileOptions _options;

    /// <summary>Creates the profile.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    public LegacyProfile(LegacyProfileOptions? options = null)
    {
        _options = options ?? new LegacyProfileOptions();
        ArgumentNullException.ThrowIfNull(_options.IsOneWay, "options.IsOneWay");
    }

    /// <inheritdoc />
    public string Name => "legacy";

    /// <inheritdoc />
    public int RequestHeaderLength => 0;

    /// <inheritdoc />
    public int ResponseHeaderLength => 0;

    /// <inheritdoc />
    public bool HasStatus => false;

    /// <inheritdoc />
    public byte OkStatus => 0;

    /// <inheritdoc />
    public byte UnknownCommandStatus => 0;

    /// <inheritdoc />
    public byte BusyStatus => 0;

    /// <inheritdoc />
    public byte InternalErrorStatus => 0;

    /// <inheritdoc />
    public byte BadRequestStatus => 0;

    /// <inheritdoc />
    public byte? HeartbeatCommand => _options.HeartbeatCommand;

    /// <inheritdoc />
    public FrameKind Classify(byte command, ReadOnlySpan<byte> payload)
    {
        if (command >= 0x80)
        {
            return FrameKind.Response;
        }

        return _options.IsOneWay(command) ? FrameKind.OneWay : FrameKind.Request;
    }

    /// <inheritdoc />
    public byte GetResponseCommand(byte requestCommand) => (byte)(requestCommand | 0x80);

    /// <inheritdoc />
    public int ReadResponseHeader(ReadOnlySpan<byte> payload, out byte status)
    {
        status = 0;
        return 0;
    }

    /// <inheritdoc />
    public void WriteResponseHeader(Span<byte> destination, ReadOnlySpan<byte> requestHeader, byte status)
    {
    }

    /// <inheritdoc />
    public string DescribeStatus(byte status) => status == 0 ? "OK" : $"STATUS_0x{status:X2}";

    /// <inheritdoc />
    public IRequestMatcher CreateMatcher(TimeProvider timeProvider) => new LegacyRequestMatcher(timeProvider);
}
