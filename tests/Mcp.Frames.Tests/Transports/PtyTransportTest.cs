using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>Base of the fixtures that run over a fresh socat pseudo-terminal pair per test (<see cref="Pty"/>).</summary>
public abstract class PtyTransportTest : TransportTest
{
    /// <summary>The limit every wait of these tests has.</summary>
    protected static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private SocatPty? _pty;

    internal SocatPty Pty => _pty ?? throw new InvalidOperationException("the pty starts in SetUp");

    [SetUp]
    public async Task StartPty() => _pty = await SocatPty.StartAsync();

    [TearDown]
    public async Task StopPty()
    {
        if (_pty is not null)
        {
            await _pty.DisposeAsync();
        }
    }
}
