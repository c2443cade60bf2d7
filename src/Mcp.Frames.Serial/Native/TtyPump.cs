using System.Diagnostics;
using System.IO.Pipelines;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Serial.Native;

/// <summary>How a <see cref="TtyPump"/> times its link.</summary>
/// <param name="WriteTimeout">How long bytes may wait for room in the tty's output buffer (no byte accepted) before the
/// link is declared down.</param>
/// <param name="ReadTimeout">Silence longer than this reports the link down; <see cref="Timeout.InfiniteTimeSpan"/>: never.</param>
/// <param name="DisposeTimeout">The most disposal takes: sending what was written, stopping the threads, closing.</param>
internal readonly record struct TtyPumpSettings(TimeSpan WriteTimeout, TimeSpan ReadTimeout, TimeSpan DisposeTimeout);

/// <summary>
/// The data path of a tty file descriptor: a reader thread that waits in <c>poll</c> with no timeout (only the
/// <see cref="TtyPumpSettings.ReadTimeout"/> deadline, if one is set) and reads straight into <see cref="Input"/>'s
/// pipe; on the sending side, each flush of <see cref="Output"/> writes from the sender's thread as far as the tty takes
/// bytes without blocking, and a writer thread takes over only when the tty is full, waiting in <c>poll</c> for room.
/// Both threads wait on a private wake pipe too, so stopping never waits on a blocked call and nothing polls with a
/// timer.
/// </summary>
/// <remarks>
/// <para>
/// Used by the serial transport's native backend (a port opened by <see cref="TtyDevice"/>) and by the firmware
/// simulator (the master side of its pseudo-terminals). The descriptor must be in non-blocking mode.
/// </para>
/// <para>
/// Whoever awaits <see cref="Input"/> resumes on the reader thread (the pipe's reader scheduler is inline), parses what
/// was just read, and gives the thread back at its next await. A hop to the thread pool for every read cost more CPU
/// than the read itself on a two-core machine (the pool's workers spin before they sleep), so the reader of
/// <see cref="Input"/> must not block: <c>FrameConnection</c>'s read loop hands frames off and never does. A read that
/// filled its buffer is followed by another before the bytes are handed on (at most 64 KiB at a time); after a shorter
/// one the bytes are handed on, then the thread reads again and polls only when a read finds nothing (a busy link
/// costs one call per read, not a poll and a read). A flush of <see cref="Output"/> costs one non-blocking
/// <c>write</c> per pipe segment and no thread hand-over while the other end keeps up, as a blocking write to the tty
/// would; when the tty takes only part (its buffer is full) the writer thread is woken, writes one segment at a time
/// and releases each at once, so the sender refills <see cref="Output"/> while the rest goes out, and polls for room
/// after a partial write instead of writing again. Exactly one party (the flushing sender or the writer thread)
/// drains the pipe at a time, so bytes leave in the order written. Both threads sleep without spinning while they
/// wait (the reader in <see cref="BlockingWait"/>, the writer on an event with no spin); the writer spins only at its
/// end, for the microseconds a sender inside its flush takes to let go of the pipe.
/// </para>
/// <para>
/// The first failure wins and ends both directions with one <see cref="TransportException"/>: <see cref="Input"/>
/// completes with it, and <see cref="Output"/>'s flushes throw it from then on (the flush that found it
/// included). A hang-up (POLLHUP or POLLERR, a read of 0 bytes or EIO)
/// says "hang-up". A local close ends <see cref="Input"/> normally. Disposal lets bytes already written go out
/// (at most half of <see cref="TtyPumpSettings.DisposeTimeout"/>), wakes both threads, waits for them to end and closes
/// the descriptor if this pump owns it, all within the dispose timeout.
/// </para>
/// </remarks>
internal sealed partial class TtyPump : ILinkPump
{
    /// <summary>The most one <c>read</c> asks for.</summary>
    public const int MaxRead = 64 * 1024;

    /// <summary>The least room a read is given: a pty delivers up to 4 KiB per read, a UART less.</summary>
    private const int MinReadRoom = 4096;

    private static readonly TimeSpan ThreadEndGrace = TimeSpan.FromMilliseconds(100);

    private readonly int _fd;
    private readonly Action<int, TimeSpan>? _closeDevice;
    private readonly TtyPumpSettings _settings;
    private readonly ILogger _logger;
    private readonly Pipe _receive;
    private readonly Pipe _send;
    private readonly Thread _reader;
    private readonly Thread _writer;
    private readonly BlockingWait _readerWait = new();
    // Never disposed: a sender handing over while the pump is disposed may still set it (it holds no OS handle).
    private readonly ManualResetEventSlim _writerKick = new(initialState: false, spinCount: 0);
    private readonly SendWriter _sendWriter;
    private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private TransportException? _failure;
    private int _stopping;
    private int _disposed;

    /// <summary>Starts serving an open, non-blocking tty descriptor.</summary>
    /// <param name="name">The link's name, for messages and thread names (such as <c>serial /dev/ttyUSB0</c>).</param>
    /// <param name="fd">The descriptor.</param>
    /// <param name="closeDevice">
    /// Closes <paramref name="fd"/> once both threads have ended, given the time left of the dispose timeout; runs on a
    /// background thread. <see langword="null"/> when the descriptor belongs to someone else.
    /// </param>
    /// <param name="settings">The timeouts.</param>
    /// <param name="logger">Receives missed dispose deadlines.</param>
    /// <exception cref="TransportException">The wake pipe could not be made.</exception>
    public unsafe TtyPump(string name, int fd, Action<int, TimeSpan>? closeDevice, TtyPumpSettings settings, ILogger logger)
    {
        Name = name;
        _fd = fd;
        _closeDevice = closeDevice;
        _settings = settings;
        _logger = logger;

        // The reader thread's waits resume inline (a read of Input frees room for it directly). The reader of Input
        // resumes on the reader thread and parses what was just read: no thread hop per read, which on a small machine
        // costs more than the read (see the class remarks). A sender that waited for room in Output (256 KiB buffered,
        // as with System.IO.Ports) resumes on the thread pool: a sender blocking there must not stop the writer.
        _receive = new Pipe(TransportPipes.Create(segmentSize: MaxRead, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline));
        _send = new Pipe(TransportPipes.Create(256 * 1024));
        _sendWriter = new SendWriter(this, _send.Writer);

        int* fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.OCloExec | LibC.ONonBlock) != 0)
        {
            throw new TransportException($"{name}: cannot start: pipe2 failed: {LibC.LastError()}");
        }

        _wakeRead = fds[0];
        _wakeWrite = fds[1];
        _reader = new Thread(ReceiveLoop, 256 * 1024) { IsBackground = true, Name = $"tty reader ({name})" };
        _writer = new Thread(SendLoop, 256 * 1024) { IsBackground = true, Name = $"tty writer ({name})" };
        _reader.Start();
        _writer.Start();
    }

    /// <summary>The link's name.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public PipeReader Input => _receive.Reader;

    /// <inheritdoc />
    public PipeWriter Output => _sendWriter;

    /// <summary>The first failure of the link, or <see langword="null"/>.</summary>
    public TransportException? Failure => Volatile.Read(ref _failure);

    /// <summary>The descriptor served (tests read its settings back).</summary>
    internal int Fd => _fd;

    /// <summary>The two threads (tests check that none is left after disposal).</summary>
    internal IReadOnlyList<Thread> Threads => [_reader, _writer];

    /// <summary>
    /// Closes the link within <see cref="TtyPumpSettings.DisposeTimeout"/>: sends what was already written to
    /// <see cref="Output"/> (at most half the timeout), stops both threads, then closes the descriptor if owned.
    /// Do not write to <see cref="Output"/> concurrently with disposal.
    /// </summary>
    /// <returns>A task that completes when the link is closed or the deadline has passed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        TimeSpan Left() => _settings.DisposeTimeout - clock.Elapsed;

        // Completing the writer sends what is buffered: from this thread as far as the tty takes it, then from the
        // writer thread, which then ends.
        await _sendWriter.CompleteAsync().ConfigureAwait(false);
        await WaitBoundedAsync(_writerDone.Task, _settings.DisposeTimeout / 2).ConfigureAwait(false);

        Stop();
        Task threads = Task.WhenAll(_readerDone.Task, _writerDone.Task);
        if (!await WaitBoundedAsync(threads, Left()).ConfigureAwait(false))
        {
            // Not expected: both threads only wait where Stop wakes them. Close once they have ended.
            SerialLog.CloseDeadlineMissed(_logger, Name, "stopping the tty threads");
            _ = threads.ContinueWith(_ => Release(TimeSpan.FromSeconds(1)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        // The threads have signalled their end; let them return before the descriptors they used close.
        _reader.Join(ThreadEndGrace);
        _writer.Join(ThreadEndGrace);
        Task release = Task.Run(() => Release(Left()));
        if (!await WaitBoundedAsync(release, Left()).ConfigureAwait(false))
        {
            SerialLog.CloseDeadlineMissed(_logger, Name, "closing the port");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Closes the wake pipe and, if owned, the descriptor. Only once both threads have ended.</summary>
    private void Release(TimeSpan left)
    {
        _ = LibC.Close(_wakeRead);
        _ = LibC.Close(_wakeWrite);
        _readerWait.Dispose();
        _closeDevice?.Invoke(_fd, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    /// <summary>Wakes both threads so they end: through the wake pipe when they wait in poll, and through the pipes.</summary>
    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            LibC.Wake(_wakeWrite);
            _writerKick.Set();
            _receive.Writer.CancelPendingFlush();
        }
    }

    private bool Stopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>Records the first failure and stops both threads. Returns the failure that won.</summary>
    private TransportException Fail(string reason, bool receiving)
    {
        var error = new TransportException($"{Name}: link down while {(receiving ? "receiving" : "sending")}: {reason}");
        TransportException winner = Interlocked.CompareExchange(ref _failure, error, null) ?? error;
        Stop();
        return winner;
    }

    private static async Task<bool> WaitBoundedAsync(Task task, TimeSpan deadline)
    {
        try
        {
            await task.WaitAsync(deadline > TimeSpan.Zero ? deadline : TimeSpan.Zero).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
