namespace Mcp.Frames.Framing;

/// <summary>
/// One received frame: its command byte and a view of its payload.
/// </summary>
/// <remarks>
/// <para>
/// The payload is <b>not owned</b> by the frame. It is a view into the receive buffer (the pipe's memory, or
/// the parser's reassembly buffer for a frame that straddled buffer segments), and it stays valid only until
/// the receiver advances: the next call to <see cref="FrameParser.TryParse"/>
/// on the same parser, or the next <c>PipeReader.AdvanceTo</c>, whichever comes first.
/// Code that keeps a payload longer must copy it (for example into a pooled buffer).
/// </para>
/// </remarks>
public readonly struct Frame
{
    /// <summary>Creates a frame view.</summary>
    /// <param name="command">The command byte.</param>
    /// <param name="payload">The payload view; see the remarks on <see cref="Frame"/> for its lifetime.</param>
    public Frame(byte command, ReadOnlyMemory<byte> payload)
    {
        Command = command;
        Payload = payload;
    }

    /// <summary>The command byte (offset 1 of the frame).</summary>
    public byte Command { get; }

    /// <summary>The payload. Valid only until the receiver advances; see <see cref="Frame"/>.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The length of the whole frame on the wire, <c>5 + payload length</c>.</summary>
    public int WireLength => Payload.Length + FrameFormat.Overhead;

    /// <inheritdoc />
    public override string ToString() => $"Frame(cmd=0x{Command:X2}, len={Payload.Length})";
}
