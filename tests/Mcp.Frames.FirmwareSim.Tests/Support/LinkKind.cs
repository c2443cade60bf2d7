namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>How a test client reaches the simulated device.</summary>
public enum LinkKind
{
    /// <summary>An in-memory pair (<c>SimHost.ConnectInMemory</c>).</summary>
    InMemory,

    /// <summary>TCP on 127.0.0.1, port 0.</summary>
    Tcp,

    /// <summary>The pseudo-terminal the host creates, opened by the library's serial transport.</summary>
    Pty,
}
