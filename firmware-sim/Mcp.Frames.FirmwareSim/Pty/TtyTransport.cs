using System.Buffers;
using System.IO.Pipelines;
using Mcp.Frames.Transports;

namespace Mcp.Frames.FirmwareSim.Pty;

/// <summary>
/// An <see cref="ITransport"/> over a tty file descriptor (the master side of a <see cref="PseudoTerminal"/>, or a
/// tty opened by path): a reader thread that waits in <c>poll</c> and a writer thread, each woken for shutdown through
/// a private pipe, so nothing polls with a timeout and disposal never waits on a blocked <c>read</c>.
/// </summary>
/// <remarks>
/// A write that cannot go out within the write timeout (nobody reads the other side and the kernel buffer is full)
/// ends the link with a <see cref="TransportException"/>, as the serial transport does.
/// </remarks>
internal sealed class TtyTransport : ITransport
{
    private const int ReadSize = 4096;

    private readonly int _fd;
    private readonly bool _ownsFd;
    private readonly TimeSpan _writeTimeout;
    private readonly Pipe _receive = new(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
    private readonly Pipe _send = new(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
    private readonly Thread _reader;
    private readonly Thread _writer;
    private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wakeRead;
    private int _wakeWrite;
    private TransportException? _failure;
    private int _stopping;
    private int _disposed;

    /// <summary>Serves an open tty descriptor.</summary>
    /// <param name="name">The link's name, such as <c>pty /dev/pts/3</c>.</param>
    /// <param name="fd">The descriptor, in non-blocking mode.</param>
    /// <param name="ownsFd">Whether disposal closes <paramref name="fd"/>.</param>
    /// <param name="stallTimeout">The stall timeout the link reports (PROTOCOL.md §1.1 rule 5).</param>
    /// <param name="writeTimeout">How long a write may wait for room before the link is declared dead.</param>
    public unsafe TtyTransport(string name, int fd, bool ownsFd, TimeSpan? stallTimeout, TimeSpan writeTimeout)
    {
        Name = name;
        StallTimeout = stallTimeout;
        _fd = fd;
        _ownsFd = ownsFd;
        _writeTimeout = writeTimeout;
        int* fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.OCloExec | LibC.ONonBlock) != 0)
        {
            throw new TransportException($"{name}: pipe2 failed: {LibC.LastError()}");
        }

        _wakeRead = fds[0];
        _wakeWrite = fds[1];
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"{name} reader" };
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"{name} writer" };
        _reader.Start();
        _writer.Start();
    }

    public string Name { get; }

    public TimeSpan? StallTimeout { get; }

    public PipeReader Input => _receive.Reader;

    public PipeWriter Output => _send.Writer;

    /// <summary>Opens a tty by path (the client side of a pseudo-terminal, in tests and tools) in raw mode.</summary>
    /// <param name="path">The tty, such as <c>/dev/pts/3</c> or a link to it.</param>
    /// <returns>The transport; it closes the tty when disposed.</returns>
    public static TtyTransport OpenPath(string path)
    {
        int fd = LibC.Open(path, LibC.ORdWr | LibC.ONoCtty | LibC.ONonBlock | LibC.OCloExec);
        if (fd < 0)
        {
            throw new TransportException($"tty {path}: cannot open: {LibC.LastError()}");
        }

        try
        {
            LibC.MakeRaw(fd);
            return new TtyTransport($"tty {path}", fd, ownsFd: true, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
        }
        catch (IOException ex)
        {
            _ = LibC.Close(fd);
            throw new TransportException($"tty {path}: {ex.Message}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Let what the connection wrote last go out (bounded by the write timeout), then stop both threads.
        _send.Writer.Complete();
        try
        {
            await _writerDone.Task.WaitAsync(_writeTimeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The writer is stuck in a write; Stop wakes it.
        }

        Stop();
        await _writerDone.Task.ConfigureAwait(false);
        await _readerDone.Task.ConfigureAwait(false);
        _ = LibC.Close(Interlocked.Exchange(ref _wakeRead, -1));
        _ = LibC.Close(Interlocked.Exchange(ref _wakeWrite, -1));
        if (_ownsFd)
        {
            _ = LibC.Close(_fd);
        }
    }

    public override string ToString() => Name;

    private unsafe void Stop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            byte one = 1;
            _ = LibC.Write(_wakeWrite, &one, 1);
            _send.Reader.CancelPendingRead();
        }
    }

    private void Fail(string what)
    {
        Interlocked.CompareExchange(ref _failure, new TransportException($"{Name}: link down: {what}"), null);
        Stop();
    }

    private unsafe void ReadLoop()
    {
        byte[] buffer = new byte[ReadSize];
        PipeWriter writer = _receive.Writer;
        try
        {
            LibC.PollFd* fds = stackalloc LibC.PollFd[2];
            while (true)
            {
                fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.PollIn };
                fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
                if (LibC.Poll(fds, 2, -1) < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == LibC.EIntr)
                    {
                        continue;
                    }

                    Fail($"poll failed: {LibC.LastError()}");
                    break;
                }

                if (fds[1].REvents != 0)
                {
                    break; // stopping
                }

                if ((fds[0].REvents & (LibC.PollIn | LibC.PollHup | LibC.PollErr | LibC.PollNval)) == 0)
                {
                    continue;
                }

                nint n;
                fixed (byte* p = buffer)
                {
                    n = LibC.Read(_fd, p, buffer.Length);
                }

                if (n > 0)
                {
                    writer.Write(buffer.AsSpan(0, (int)n));
                    FlushResult flushed = writer.FlushAsync().AsTask().GetAwaiter().GetResult();
                    if (flushed.IsCompleted)
                    {
                        break; // the connection stopped reading
                    }

                    continue;
                }

                int error = n < 0 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : 0;
                if (n < 0 && (error == LibC.EAgain || error == LibC.EIntr))
                {
                    continue;
                }

                Fail(n == 0 ? "end of stream (the other side closed)" : error == LibC.EIo ? "hang-up (the other side closed)" : $"read failed: {LibC.LastError()}");
                break;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            Fail(ex.Message);
        }
        finally
        {
            writer.Complete(Volatile.Read(ref _failure));
            _readerDone.TrySetResult();
        }
    }

    private void WriteLoop()
    {
        PipeReader reader = _send.Reader;
        try
        {
            while (true)
            {
                ReadResult result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool ok = true;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    if (!WriteAll(segment.Span))
                    {
                        ok = false;
                        break;
                    }
                }

                reader.AdvanceTo(buffer.End);
                if (!ok || result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            Fail(ex.Message);
        }
        finally
        {
            reader.Complete(Volatile.Read(ref _failure));
            _writerDone.TrySetResult();
        }
    }

    private unsafe bool WriteAll(ReadOnlySpan<byte> data)
    {
        long deadline = Environment.TickCount64 + (long)_writeTimeout.TotalMilliseconds;
        LibC.PollFd* fds = stackalloc LibC.PollFd[2];
        while (!data.IsEmpty)
        {
            nint n;
            fixed (byte* p = data)
            {
                n = LibC.Write(_fd, p, data.Length);
            }

            if (n > 0)
            {
                data = data[(int)n..];
                continue;
            }

            int error = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (n < 0 && error != LibC.EAgain && error != LibC.EIntr)
            {
                Fail($"write failed: {LibC.LastError()}");
                return false;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                Fail($"a write did not go out within {_writeTimeout.TotalMilliseconds:0} ms: nobody is reading the other side");
                return false;
            }

            fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.PollOut };
            fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
            _ = LibC.Poll(fds, 2, (int)Math.Min(left, int.MaxValue));
            if (fds[1].REvents != 0 && Volatile.Read(ref _stopping) != 0)
            {
                return false;
            }
        }

        return true;
    }
}
