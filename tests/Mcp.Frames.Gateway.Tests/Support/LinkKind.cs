namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>How the gateway reaches the simulated device.</summary>
public enum LinkKind
{
    /// <summary>TCP on 127.0.0.1, port 0.</summary>
    Tcp,

    /// <summary>The pseudo-terminal the simulator creates, opened by the library's serial transport.</summary>
    Pty,
}
