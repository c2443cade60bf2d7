using System.Diagnostics;
using System.IO.Pipelines;
using System.IO.Ports;
using Mcp.Frames.Serial;
using Mcp.Frames.Serial.Native;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// What only the native tty backend does, over a socat pseudo-terminal pair: the termios settings it applies, exclusive
/// use, its threads (sleeping while idle, gone after disposal). The behaviour both backends share is in
/// <see cref="SerialTransportTests"/>.
/// </summary>
/// <remarks>
/// The expected flag values are Linux's own numbers (asm-generic termbits.h), written out here rather than taken from
/// the library, so a wrong constant there fails these tests.
/// </remarks>
[TestFixture]
[NonParallelizable]
[CancelAfter(120_000)]
public class NativeTtyTests : PtyTransportTest
{
    private const uint CS8 = 0x30, CStopB = 0x40, CRead = 0x80, ParEnb = 0x100, ParOdd = 0x200, HupCl = 0x400, CLocal = 0x800;
    private const uint CmsPar = 0x40000000, CrtsCts = 0x80000000;
    private const uint IXOn = 0x400, IXOff = 0x1000, OPost = 0x1, ISig = 0x1, ICanon = 0x2, Echo = 0x8;
    private const uint TiocGExcl = 0x80045440; // _IOR('T', 0x40, int): whether the tty is in exclusive mode

    [TestCase(9600, 7, Parity.Even, StopBits.Two, Handshake.RequestToSend, 13u, TestName = "9600 7E2, RTS/CTS")]
    [TestCase(57600, 8, Parity.Odd, StopBits.One, Handshake.XOnXOff, 0x1001u, TestName = "57600 8O1, XON/XOFF")]
    [TestCase(1200, 5, Parity.Mark, StopBits.OnePointFive, Handshake.RequestToSendXOnXOff, 9u, TestName = "1200 5M1.5, both handshakes")]
    [TestCase(4000000, 6, Parity.Space, StopBits.One, Handshake.None, 0x100Fu, TestName = "4000000 6S1, no handshake")]
    [TestCase(115200, 8, Parity.None, StopBits.One, Handshake.None, 0x1002u, TestName = "115200 8N1")]
    public async Task The_line_settings_are_applied_to_the_tty(int baud, int dataBits, Parity parity, StopBits stopBits, Handshake handshake, uint speed)
    {
        var log = new CapturingLogger<SerialTransportConnector>();
        var options = new SerialTransportOptions
        {
            PortName = Pty.A,
            Backend = SerialBackend.NativeTty,
            BaudRate = baud,
            DataBits = dataBits,
            Parity = parity,
            StopBits = stopBits,
            Handshake = handshake,
        };
        await using SerialTransport a = await new SerialTransportConnector(options, log).OpenAsync().AsTask().WaitAsync(Limit);

        (Termios t, uint inputSpeed, uint outputSpeed, byte vmin, byte vtime) = ReadBack(a.NativePump!.Fd);
        Assert.Multiple(() =>
        {
            Assert.That(outputSpeed, Is.EqualTo(speed), "output speed");
            Assert.That(inputSpeed, Is.EqualTo(speed), "input speed");
            Assert.That(t.CFlag & CStopB, Is.EqualTo(stopBits == StopBits.One ? 0 : CStopB), "CSTOPB (1.5 stop bits are sent as two, as System.IO.Ports does)");
            Assert.That(t.CFlag & ParOdd, Is.EqualTo(parity is Parity.Odd or Parity.Mark ? ParOdd : 0), "PARODD");
            Assert.That(t.CFlag & CmsPar, Is.EqualTo(parity is Parity.Mark or Parity.Space ? CmsPar : 0), "CMSPAR");
            Assert.That(t.CFlag & CrtsCts, Is.EqualTo(handshake is Handshake.RequestToSend or Handshake.RequestToSendXOnXOff ? CrtsCts : 0), "CRTSCTS");
            Assert.That(t.IFlag & (IXOn | IXOff), Is.EqualTo(handshake is Handshake.XOnXOff or Handshake.RequestToSendXOnXOff ? IXOn | IXOff : 0), "IXON|IXOFF");
            Assert.That(t.CFlag & (CRead | CLocal | HupCl), Is.EqualTo(CRead | CLocal), "CREAD and CLOCAL on, HUPCL off");
            Assert.That(t.LFlag & (ICanon | Echo | ISig), Is.Zero, "raw: no line editing, echo or signals");
            Assert.That(t.OFlag & OPost, Is.Zero, "raw: no output processing");
            Assert.That(vmin, Is.EqualTo(1), "VMIN");
            Assert.That(vtime, Is.Zero, "VTIME");

            // The pty driver itself always keeps 8 data bits and no parity bit; the transport opens anyway and says so.
            Assert.That(t.CFlag & (0x30 | ParEnb), Is.EqualTo(CS8), "a pseudo-terminal's CSIZE and PARENB");
        });

        bool lineSettingsIgnored = dataBits != 8 || parity != Parity.None;
        Assert.That(
            log.Entries.Select(e => e.Message),
            lineSettingsIgnored ? Has.Some.Contains("a pseudo-terminal keeps 8 data bits and no parity") : Has.None.Contains("pseudo-terminal"));
    }

    [Test]
    public async Task The_port_is_held_exclusively_while_open_and_released_on_dispose()
    {
        SerialTransport a = await Native(Pty.A).OpenAsync().AsTask().WaitAsync(Limit);
        Assert.That(IsExclusive(a.NativePump!.Fd), Is.True, "TIOCEXCL while open");

        await a.DisposeAsync();

        // socat keeps the tty alive, so the flag would outlive our descriptor if the transport did not clear it.
        int fd = LibC.Open(Pty.A, LibC.ORdWr | LibC.ONoCtty | LibC.ONonBlock | LibC.OCloExec);
        Assert.That(fd, Is.GreaterThanOrEqualTo(0), LibC.LastError());
        try
        {
            Assert.That(IsExclusive(fd), Is.False, "TIOCNXCL on dispose");
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }

    [Test]
    public async Task Bytes_flushed_in_every_size_keep_their_order_while_the_tty_fills_and_the_writer_thread_takes_over()
    {
        // The sender writes from its own flush while the tty has room and hands over to the writer thread when it is
        // full; the receiver starts late and then reads in small bites, so both happen many times.
        const int Total = 3 * 1024 * 1024;
        await using SerialTransport a = await Native(Pty.A).OpenAsync().AsTask().WaitAsync(Limit);
        await using SerialTransport b = await Native(Pty.B).OpenAsync().AsTask().WaitAsync(Limit);
        var sizes = new Random(20261204);

        async Task SendAsync()
        {
            int sent = 0;
            while (sent < Total)
            {
                int n = Math.Min(Total - sent, sizes.Next(1, 9000));
                Span<byte> span = a.Output.GetSpan(n)[..n];
                for (int i = 0; i < n; i++)
                {
                    span[i] = (byte)((sent + i) % 251);
                }

                a.Output.Advance(n);
                await a.Output.FlushAsync();
                sent += n;
            }
        }

        Task send = Task.Run(SendAsync);
        await Task.Delay(200); // let the tty and the 256 KiB of Output fill
        long received = 0;
        long wrong = -1;
        while (received < Total)
        {
            ReadResult result = await b.Input.ReadAsync().AsTask().WaitAsync(Limit);
            long taken = 0;
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                foreach (byte value in segment.Span[..(int)Math.Min(segment.Length, 2048 - taken)])
                {
                    if (wrong < 0 && value != (byte)(received % 251))
                    {
                        wrong = received;
                    }

                    received++;
                    taken++;
                }

                if (taken >= 2048)
                {
                    break;
                }
            }

            b.Input.AdvanceTo(result.Buffer.GetPosition(taken));
        }

        await send.WaitAsync(Limit);
        Assert.Multiple(() =>
        {
            Assert.That(wrong, Is.EqualTo(-1), "the first byte out of order");
            Assert.That(received, Is.EqualTo(Total));
            Assert.That(a.NativePump!.HandOvers, Is.GreaterThan(0), "the tty filled up and the writer thread took over");
        });
    }

    [Test]
    public async Task No_thread_is_left_running_after_dispose()
    {
        SerialTransport a = await Native(Pty.A).OpenAsync().AsTask().WaitAsync(Limit);
        SerialTransport b = await Native(Pty.B).OpenAsync().AsTask().WaitAsync(Limit);
        Thread[] threads = [.. a.NativePump!.Threads, .. b.NativePump!.Threads];
        Assert.That(threads.Select(t => t.IsAlive), Is.All.True);

        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 100);
        await FrameTraffic.WriteAsync(a.Output, 100);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 100);

        await a.DisposeAsync();
        await b.DisposeAsync();

        // Disposal waits for each thread's end signal, then joins it for a bounded grace only: on a loaded machine a
        // thread can still be returning from its loop when DisposeAsync does.
        await Bounded.UntilAsync(() => threads.All(t => !t.IsAlive), "the tty threads have ended");
        Assert.That(threads.Select(t => t.IsAlive), Is.All.False);
    }

    [Test]
    public async Task Disposal_returns_within_its_timeout_when_closing_the_port_hangs()
    {
        int fd = LibC.Open(Pty.A, LibC.ORdWr | LibC.ONoCtty | LibC.ONonBlock | LibC.OCloExec);
        Assert.That(fd, Is.GreaterThanOrEqualTo(0), $"open {Pty.A}");
        using var closeMayReturn = new ManualResetEventSlim(false);
        var closeCalled = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new CapturingLogger<TtyPump>();
        var settings = new TtyPumpSettings(WriteTimeout: TimeSpan.FromSeconds(1), ReadTimeout: Timeout.InfiniteTimeSpan, DisposeTimeout: TimeSpan.FromMilliseconds(400));

        // A close that hangs, as closing a USB serial adapter's tty can after it was pulled.
        var pump = new TtyPump($"serial {Pty.A}", fd, (_, left) =>
        {
            closeCalled.TrySetResult(left);
            closeMayReturn.Wait(Limit);
        }, settings, log);
        try
        {
            var clock = Stopwatch.StartNew();
            await pump.DisposeAsync().AsTask().WaitAsync(Limit);
            TimeSpan took = clock.Elapsed;

            TimeSpan left = await closeCalled.Task.WaitAsync(Limit);
            Assert.Multiple(() =>
            {
                Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(3)), "disposal waited for the hung close");
                Assert.That(left, Is.LessThanOrEqualTo(settings.DisposeTimeout), "the close is given what is left of the timeout");
                Assert.That(log.Entries.Select(e => e.Message), Has.Some.Contains("closing the port"));
                Assert.That(pump.Threads.Select(t => t.IsAlive), Is.All.False, "the tty threads ended before the close");
            });
        }
        finally
        {
            closeMayReturn.Set();
            _ = LibC.Close(fd);
        }
    }

    [Test]
    public async Task No_thread_is_left_running_after_a_hang_up_and_dispose()
    {
        SerialTransport a = await Native(Pty.A).OpenAsync().AsTask().WaitAsync(Limit);
        IReadOnlyList<Thread> threads = a.NativePump!.Threads;
        ValueTask<ReadResult> pending = a.Input.ReadAsync();
        await Pty.KillAsync();
        Assert.ThrowsAsync<TransportException>(async () => await pending.AsTask().WaitAsync(Limit));

        await a.DisposeAsync().AsTask().WaitAsync(Limit);
        await Bounded.UntilAsync(() => threads.All(t => !t.IsAlive), "the tty threads have ended"); // see No_thread_is_left_running_after_dispose
        Assert.That(threads.Select(t => t.IsAlive), Is.All.False);
    }

    [Test]
    public async Task An_idle_link_sleeps_instead_of_polling()
    {
        await using SerialTransport a = await Native(Pty.A).OpenAsync().AsTask().WaitAsync(Limit);
        await using SerialTransport b = await Native(Pty.B).OpenAsync().AsTask().WaitAsync(Limit);
        ValueTask<ReadResult> waitingAtA = a.Input.ReadAsync();
        ValueTask<ReadResult> waitingAtB = b.Input.ReadAsync();

        // The four threads' context switches, from the kernel: a thread that wakes up on a timer (System.IO.Ports' I/O
        // thread wakes every millisecond) switches hundreds of times in half a second; one asleep in poll never does.
        await Task.Delay(100); // a measurement window, not a wait for an event: let the new threads reach their waits
        long before = TtyThreadSwitches(out int found);
        Assert.That(found, Is.EqualTo(4), "tty threads found by name in /proc/self/task");
        await Task.Delay(500);
        long after = TtyThreadSwitches(out _);
        Assert.That(after - before, Is.LessThanOrEqualTo(2), "context switches of idle tty threads in 500 ms");

        // And they are awake when bytes come.
        await b.Output.WriteAsync(new byte[] { 0x5A });
        ReadResult result = await waitingAtA.AsTask().WaitAsync(Limit);
        Assert.That(result.Buffer.Length, Is.EqualTo(1));
        a.Input.AdvanceTo(result.Buffer.End);
        Assert.That(waitingAtB.IsCompleted, Is.False);
    }

    [Test]
    public void A_path_that_is_no_terminal_is_refused_with_a_clear_message()
    {
        string file = Path.Combine(Pty.Directory, "plain-file");
        File.WriteAllText(file, "not a tty");

        var error = Assert.ThrowsAsync<TransportException>(async () => await Native(file).OpenAsync());
        Assert.That(error!.Message, Is.EqualTo($"serial {file}: cannot open: {file} is not a terminal device (a serial port or pseudo-terminal)."));
    }

    [Test]
    public async Task Auto_takes_the_native_backend_at_a_standard_rate_and_System_IO_Ports_at_another()
    {
        await using SerialTransport standard = await new SerialTransportConnector(new SerialTransportOptions { PortName = Pty.A, BaudRate = 19200 }).OpenAsync().AsTask().WaitAsync(Limit);
        await using SerialTransport other = await new SerialTransportConnector(new SerialTransportOptions { PortName = Pty.B, BaudRate = 250000 }).OpenAsync().AsTask().WaitAsync(Limit);

        Assert.That(standard.Backend, Is.EqualTo(SerialBackend.NativeTty));
        Assert.That(standard.NativePump, Is.Not.Null);
        Assert.That(other.Backend, Is.EqualTo(SerialBackend.SystemIoPorts));
        Assert.That(other.NativePump, Is.Null);

        Task<FrameCheck> atOther = FrameTraffic.ReadAsync(other.Input, 20);
        await FrameTraffic.WriteAsync(standard.Output, 20);
        TcpTransportTests.AssertClean(await atOther.WaitAsync(Limit), 20);
    }

    private static SerialTransportConnector Native(string port) =>
        new(new SerialTransportOptions { PortName = port, Backend = SerialBackend.NativeTty });

    private static unsafe (Termios Settings, uint InputSpeed, uint OutputSpeed, byte VMin, byte VTime) ReadBack(int fd)
    {
        Termios t;
        Assert.That(LibC.TcGetAttr(fd, &t), Is.Zero, LibC.LastError());
        return (t, LibC.CfGetISpeed(&t), LibC.CfGetOSpeed(&t), t.ControlChars[6], t.ControlChars[5]);
    }

    private static unsafe bool IsExclusive(int fd)
    {
        int exclusive = -1;
        Assert.That(LibC.Ioctl(fd, TiocGExcl, &exclusive), Is.Zero, LibC.LastError());
        return exclusive != 0;
    }

    /// <summary>The context switches so far of every thread named like the tty pump's threads.</summary>
    private static long TtyThreadSwitches(out int threads)
    {
        long switches = 0;
        threads = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            string comm;
            string[] status;
            try
            {
                comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                status = File.ReadAllLines(Path.Combine(task, "status"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }

            if (!comm.StartsWith("tty reader", StringComparison.Ordinal) && !comm.StartsWith("tty writer", StringComparison.Ordinal))
            {
                continue;
            }

            threads++;
            foreach (string line in status.Where(l => l.Contains("ctxt_switches:", StringComparison.Ordinal)))
            {
                switches += long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return switches;
    }
}
