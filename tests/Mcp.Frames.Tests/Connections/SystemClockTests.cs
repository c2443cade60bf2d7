using Mcp.Frames.Connections;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// The one place where the real clock is used on purpose: OS timers fire on a coarse tick, so a timeout callback can
/// arrive a little before a high-resolution deadline. A request must still time out.
/// </summary>
public class SystemClockTests : ConnectionTestBase
{
    [Test]
    public async Task Timeouts_on_the_system_clock_always_fire_even_when_the_timer_is_a_little_early()
    {
        (TestDuplexPipe a, TestDuplexPipe b) = TestDuplexPipe.CreatePair();
        RawPeer silent = Track(new RawPeer(b));
        FrameConnection gateway = Track(new FrameConnection(a, options: new FrameConnectionOptions
        {
            Name = "gw",
            LoggerFactory = Logs,
            RequestTimeout = TimeSpan.FromMilliseconds(7),
            MaxInFlight = 64,
            HeartbeatInterval = null,
        }));
        gateway.Start();

        // 10 waves of 50: all are sent (MaxInFlight 64), none is answered, every one must time out.
        for (int wave = 0; wave < 10; wave++)
        {
            Task[] calls = Enumerable.Range(0, 50)
                .Select(i => gateway.SendRequestAsync(0x55, new[] { (byte)i }).AsTask())
                .ToArray();
            foreach (Task call in calls)
            {
                Assert.ThrowsAsync<RequestTimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(5)), $"wave {wave}");
            }
        }

        // The raw peer parses on its own task, unordered with the timeouts: its count can lag the last wave a moment.
        await Bounded.UntilAsync(() => silent.ReceivedCount >= 500, "the peer has parsed every request");
        Assert.That(silent.ReceivedCount, Is.EqualTo(500));
    }
}
