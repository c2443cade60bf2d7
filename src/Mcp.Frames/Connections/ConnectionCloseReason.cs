namespace Mcp.Frames.Connections;

/// <summary>Why a <see cref="FrameConnection"/> ended.</summary>
public enum ConnectionCloseReason
{
    /// <summary>Still open.</summary>
    None,

    /// <summary>Closed by <see cref="FrameConnection.CloseAsync"/> or disposal.</summary>
    ClosedLocally,

    /// <summary>The peer ended the byte stream.</summary>
    RemoteClosed,

    /// <summary>Nothing was received for heartbeat interval × missed limit.</summary>
    HeartbeatLost,

    /// <summary>The transport failed (I/O error, hang-up, unplug).</summary>
    TransportError,

    /// <summary>Stopped by <see cref="FrameConnection.Abort"/>.</summary>
    Aborted,
}
