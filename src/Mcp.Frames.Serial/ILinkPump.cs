using System.IO.Pipelines;

namespace Mcp.Frames.Serial;

/// <summary>
/// The data path behind a <see cref="SerialTransport"/>: System.IO.Ports (<see cref="SerialTransport"/>'s own pump) or
/// a tty descriptor (<see cref="Native.TtyPump"/>).
/// </summary>
internal interface ILinkPump : IAsyncDisposable
{
    /// <summary>Bytes received from the port.</summary>
    PipeReader Input { get; }

    /// <summary>Bytes to send to the port.</summary>
    PipeWriter Output { get; }
}
