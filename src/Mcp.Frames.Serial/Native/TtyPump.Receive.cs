using System.IO.Pipelines;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Serial.Native;

internal sealed partial class TtyPump
{
    /// <summary>
    /// The reader thread: waits in <c>poll</c> for the tty or the wake pipe, then reads into the pipe's own memory.
    /// </summary>
    /// <remarks>
    /// Reading straight into <see cref="PipeWriter.GetMemory"/> is safe here, unlike with System.IO.Ports: this thread
    /// is the only one that reads the descriptor, and it reads only between <c>GetMemory</c> and <c>Advance</c>, so no
    /// read can land in memory after the pipe has taken it back.
    /// </remarks>
    private unsafe void ReceiveLoop()
    {
        PipeWriter writer = _receive.Writer;
        TransportException? error = null;
        try
        {
            long silenceDeadline = SilenceDeadline();
            LibC.PollFd* fds = stackalloc LibC.PollFd[2];
            bool readAgain = false; // read before polling: the last read filled its buffer, or the user just parsed a while
            int unflushed = 0;
            short events = 0;
            while (true)
            {
                if (readAgain)
                {
                    if (Stopping)
                    {
                        break; // bytes keep coming, so the wake pipe is not polled: look at the flag
                    }
                }
                else
                {
                    if (unflushed > 0)
                    {
                        // Nothing more to read right now: hand what was read on, one hand-over for many reads.
                        unflushed = 0;
                        if (!Flush(writer))
                        {
                            break; // the user completed Input, or disposal cancelled the flush
                        }

                        silenceDeadline = SilenceDeadline(); // time spent waiting for the user is not silence

                        // While the user parsed, the other end likely sent more: read before polling. Only a read that
                        // finds nothing (EAGAIN) leads to the poll, so a busy link costs one call per read, not two.
                        readAgain = true;
                        continue;
                    }

                    Wait wait = WaitForInput(fds, silenceDeadline, out events, out error);
                    if (wait == Wait.Again)
                    {
                        continue;
                    }

                    if (wait == Wait.Stop)
                    {
                        break;
                    }
                }

                // Read even when the tty reports a hang-up: bytes that arrived before it are still delivered, and the
                // read that finds nothing more returns 0 or EIO.
                Memory<byte> memory = writer.GetMemory(MinReadRoom);
                int room = Math.Min(memory.Length, MaxRead);
                nint received;
                fixed (byte* buffer = memory.Span)
                {
                    received = LibC.Read(_fd, buffer, room);
                }

                if (received > 0)
                {
                    writer.Advance((int)received);
                    unflushed += (int)received;
                    silenceDeadline = SilenceDeadline();

                    // A read that filled its room may have left more behind: read on. A shorter one took what there
                    // was: hand it on first (below), then read again.
                    readAgain = received == room;
                    events = 0;
                    if (unflushed >= FlushThreshold)
                    {
                        unflushed = 0;
                        if (!Flush(writer))
                        {
                            break;
                        }

                        silenceDeadline = SilenceDeadline(); // as after the flush above: waiting for the user is not silence
                        readAgain = true;
                    }

                    continue;
                }

                int errno = received < 0 ? LibC.LastErrno() : 0;
                if (received < 0 && errno is LibC.EAgain or LibC.EIntr && (events & (LibC.PollHup | LibC.PollErr)) == 0)
                {
                    readAgain = false; // drained: poll
                    continue;
                }

                // A read of 0 bytes is a hang-up even without a poll before it: the port's termios has VMIN = 1
                // (TtyLineSettings) and a pty master has no VMIN, so an empty non-blocking read says EAGAIN instead.
                error = Fail(received == 0 || errno is LibC.EIo or LibC.EAgain
                    ? HangUp
                    : $"read failed: {LibC.LastError()} (errno {errno})", receiving: true);
                break;
            }
        }
        catch (Exception ex)
        {
            error = Fail($"{ex.GetType().Name}: {ex.Message}", receiving: true);
        }
        finally
        {
            // Woken because the writer thread failed: Input ends with that failure too. Bytes read but not yet handed
            // on are committed by Complete, ahead of the end.
            error = Failure ?? error;
            if (error is not null)
            {
                // Let the writer thread fail Output first, so whoever sees Input fail also sees Output fail.
                _ = _writerDone.Task.Wait(_settings.DisposeTimeout);
            }

            writer.Complete(error);
            _readerDone.TrySetResult();
        }
    }

    private enum Wait
    {
        /// <summary>The tty has something: bytes, a hang-up or an error.</summary>
        Read,

        /// <summary>Nothing happened (an interrupted call): wait again.</summary>
        Again,

        /// <summary>Stopping, or the link failed (the failure is in the out parameter).</summary>
        Stop,
    }

    /// <summary>
    /// Waits in <c>poll</c> for the tty or the wake pipe, with no timeout unless a silence deadline is set.
    /// </summary>
    private unsafe Wait WaitForInput(LibC.PollFd* fds, long silenceDeadline, out short events, out TransportException? error)
    {
        events = 0;
        error = null;
        int timeoutMs = -1;
        if (silenceDeadline != long.MaxValue)
        {
            long left = silenceDeadline - Environment.TickCount64;
            if (left <= 0)
            {
                error = Fail($"no data for {_settings.ReadTimeout.TotalMilliseconds:0} ms (ReadTimeout)", receiving: true);
                return Wait.Stop;
            }

            timeoutMs = (int)Math.Min(left, int.MaxValue);
        }

        fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.PollIn };
        fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
        if (LibC.Poll(fds, 2, timeoutMs) < 0)
        {
            if (LibC.LastErrno() == LibC.EIntr)
            {
                return Wait.Again;
            }

            error = Fail($"poll failed: {LibC.LastError()}", receiving: true);
            return Wait.Stop;
        }

        if (fds[1].REvents != 0 || Stopping)
        {
            return Wait.Stop; // a local close, or the other direction failed
        }

        events = fds[0].REvents;
        if ((events & LibC.PollNval) != 0)
        {
            error = Fail("the port's descriptor was closed under the transport", receiving: true);
            return Wait.Stop;
        }

        return events == 0 ? Wait.Again : Wait.Read; // no events: the silence deadline passed, checked on the next turn
    }

    /// <summary>Bytes read in a row (without the tty running dry) after which they are handed on anyway.</summary>
    private const int FlushThreshold = 64 * 1024;

    /// <summary>What the link reports when the tty hangs up.</summary>
    private const string HangUp = "hang-up: the device was unplugged or the other end closed the line";

    private long SilenceDeadline() => _settings.ReadTimeout == Timeout.InfiniteTimeSpan
        ? long.MaxValue
        : Environment.TickCount64 + (long)Math.Ceiling(_settings.ReadTimeout.TotalMilliseconds);

    /// <summary>Flushes to the user, waiting while the pipe is full. Returns false when the reader thread should end.</summary>
    private bool Flush(PipeWriter writer)
    {
        FlushResult result = _readerWait.Wait(writer.FlushAsync());
        return !(result.IsCompleted || result.IsCanceled);
    }
}
