using System.Diagnostics;
using System.IO.Pipelines;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// The serial transport over real kernel ttys: a socat pseudo-terminal pair. A pty ignores the baud rate, so these
/// tests prove the I/O loops, framing and hang-up handling, not line timing.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(120_000)]
public class SerialTransportTests : TransportTest
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private SocatPty _pty = null!;

    [SetUp]
    public async Task StartPty() => _pty = await SocatPty.StartAsync();

    [TearDown]
    public async Task StopPty() => await _pty.DisposeAsync();

    [Test]
    public async Task Frames_flow_both_ways_between_two_serial_transports()
    {
        await using ITransport a = await Connector(_pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(_pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        Assert.That(a.Name, Is.EqualTo($"serial {_pty.A}"));
        Assert.That(a.StallTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(50)), "115200 8N1: 40 characters take 3.5 ms, so the 50 ms floor applies");

        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 200, stream: 1);
        Task<FrameCheck> atA = FrameTraffic.ReadAsync(a.Input, 150, stream: 2);
        await Task.WhenAll(FrameTraffic.WriteAsync(a.Output, 200, stream: 1), FrameTraffic.WriteAsync(b.Output, 150, stream: 2)).WaitAsync(Limit);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 200, "at b");
        TcpTransportTests.AssertClean(await atA.WaitAsync(Limit), 150, "at a");
    }

    [Test]
    public async Task A_megabyte_of_frames_arrives_intact_and_in_order()
    {
        const int Payload = 256;
        int frames = (1024 * 1024 / (Payload + 5)) + 1; // just over 1 MiB on the wire
        await using ITransport sender = await Connector(_pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport receiver = await Connector(_pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        Task<FrameCheck> received = FrameTraffic.ReadAsync(receiver.Input, frames, Payload, stream: 9);
        await FrameTraffic.WriteAsync(sender.Output, frames, Payload, stream: 9, framesPerFlush: 32).WaitAsync(Limit);
        FrameCheck check = await received.WaitAsync(Limit);

        TcpTransportTests.AssertClean(check, frames);
        Assert.That(check.Counters.DeliveredBytes, Is.EqualTo((long)frames * (Payload + 5)).Or.EqualTo((long)frames * Payload));
    }

    [Test]
    public async Task A_serial_transport_talks_to_a_plain_file_stream_on_the_other_end()
    {
        await using ITransport a = await Connector(_pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using var b = new FileStream(_pty.B, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

        // a → b: frames from the transport read back raw from the tty.
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(PipeReader.Create(b), 50, stream: 3);
        await FrameTraffic.WriteAsync(a.Output, 50, stream: 3);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 50);
    }

    [Test]
    public async Task A_hang_up_is_detected_within_a_second()
    {
        await using ITransport a = await Connector(_pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        ValueTask<ReadResult> pending = a.Input.ReadAsync();

        var clock = Stopwatch.StartNew();
        await _pty.KillAsync();
        var error = Assert.ThrowsAsync<TransportException>(async () => await pending.AsTask().WaitAsync(Limit));
        TimeSpan detected = clock.Elapsed;

        Assert.That(detected, Is.LessThan(TimeSpan.FromSeconds(1)), "hang-up seen after " + detected);
        Assert.That(error!.Message, Does.StartWith($"serial {_pty.A}: link down while receiving: "));
        Assert.That(error.Message, Does.Contain("hang-up"));

        // The sending side learns the same reason.
        var writeError = Assert.ThrowsAsync<TransportException>(async () => await a.Output.WriteAsync(new byte[] { 0x5A }).AsTask().WaitAsync(Limit));
        Assert.That(writeError!.Message, Is.EqualTo(error.Message));

        // Closing after a hang-up is bounded, although SerialPort.Close can hang in this state.
        clock.Restart();
        await a.DisposeAsync().AsTask().WaitAsync(Limit);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task The_port_can_be_opened_again_when_the_pty_comes_back()
    {
        SerialTransportConnector connector = Connector(_pty.A);
        ITransport first = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        ValueTask<ReadResult> pending = first.Input.ReadAsync();
        await _pty.KillAsync();
        Assert.ThrowsAsync<TransportException>(async () => await pending.AsTask().WaitAsync(Limit));
        await first.DisposeAsync().AsTask().WaitAsync(Limit);

        await _pty.RestartAsync();

        await using ITransport again = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport peer = await Connector(_pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        Task<FrameCheck> atPeer = FrameTraffic.ReadAsync(peer.Input, 100, stream: 4);
        Task<FrameCheck> atAgain = FrameTraffic.ReadAsync(again.Input, 100, stream: 5);
        await Task.WhenAll(FrameTraffic.WriteAsync(again.Output, 100, stream: 4), FrameTraffic.WriteAsync(peer.Output, 100, stream: 5)).WaitAsync(Limit);
        TcpTransportTests.AssertClean(await atPeer.WaitAsync(Limit), 100);
        TcpTransportTests.AssertClean(await atAgain.WaitAsync(Limit), 100);
    }

    [Test]
    public async Task Dtr_and_rts_failures_on_a_pty_are_not_fatal()
    {
        var log = new CapturingLogger<SerialTransportConnector>();
        var connector = new SerialTransportConnector(new SerialTransportOptions { PortName = _pty.A, DtrEnable = true, RtsEnable = true }, log);

        await using ITransport a = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(_pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        Assert.That(log.Entries.Select(e => e.Message), Has.Some.Contains("could not set DTR"));
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 10);
        await FrameTraffic.WriteAsync(a.Output, 10);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 10);
    }

    [Test]
    public async Task Silence_beyond_the_read_timeout_reports_the_link_down()
    {
        var options = new SerialTransportOptions { PortName = _pty.A, ReadTimeout = TimeSpan.FromMilliseconds(200) };
        await using ITransport a = await new SerialTransportConnector(options).ConnectAsync().AsTask().WaitAsync(Limit);

        var error = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(a.Input).WaitAsync(Limit));
        Assert.That(error!.Message, Is.EqualTo($"serial {_pty.A}: link down while receiving: no data for 200 ms (ReadTimeout)"));
    }

    [Test]
    public async Task Disposing_sends_what_was_written_then_closes_quickly()
    {
        ITransport a = await Connector(_pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(_pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 40);

        await FrameTraffic.WriteAsync(a.Output, 40);
        var clock = Stopwatch.StartNew();
        await a.DisposeAsync();

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 40);
    }

    [Test]
    public void Opening_a_missing_port_fails_with_a_message_naming_it()
    {
        string missing = Path.Combine(_pty.Directory, "no-such-tty");
        var error = Assert.ThrowsAsync<TransportException>(async () => await Connector(missing).ConnectAsync());
        Assert.That(error!.Message, Does.StartWith($"serial {missing}: cannot open: "));
    }

    private static SerialTransportConnector Connector(string port) => new(new SerialTransportOptions { PortName = port });
}
