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
            while (true)
            {
                int timeoutMs = -1;
                if (silenceDeadline != long.MaxValue)
                {
                    long left = silenceDeadline - Environment.TickCount64;
                    if (left <= 0)
                    {
                        error = Fail($"no data for {_settings.ReadTimeout.TotalMilliseconds:0} ms (ReadTimeout)", receiving: true);
                        break;
                    }

                    timeoutMs = (int)Math.Min(left, int.MaxValue);
                }

                fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.PollIn };
                fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
                int ready = LibC.Poll(fds, 2, timeoutMs);
                if (ready < 0)
                {
                    if (LibC.LastErrno() == LibC.EIntr)
                    {
                        continue;
                    }

                    error = Fail($"poll failed: {LibC.LastError()}", receiving: true);
                    break;
                }

                if (fds[1].REvents != 0 || Stopping)
                {
                    break; // stopping: a local close, or the other direction failed
                }

                short events = fds[0].REvents;
                if (events == 0)
                {
                    continue; // the silence deadline passed; checked at the top
                }

                if ((events & LibC.PollNval) != 0)
                {
                    error = Fail("the port's descriptor was closed under the transport", receiving: true);
                    break;
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
                    if (!Flush(writer))
                    {
                        break; // the user completed Input, or disposal cancelled the flush
                    }

                    silenceDeadline = SilenceDeadline(); // time spent waiting for the user is not silence
                    continue;
                }

                int errno = received < 0 ? LibC.LastErrno() : 0;
                if (received < 0 && errno is LibC.EAgain or LibC.EIntr && (events & (LibC.PollHup | LibC.PollErr)) == 0)
                {
                    continue;
                }

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
            // Woken because the writer thread failed: Input ends with that failure too.
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

    /// <summary>What the link reports when the tty hangs up.</summary>
    private const string HangUp = "hang-up: the device was unplugged or the other end closed the line";

    private long SilenceDeadline() => _settings.ReadTimeout == Timeout.InfiniteTimeSpan
        ? long.MaxValue
        : Environment.TickCount64 + (long)Math.Ceiling(_settings.ReadTimeout.TotalMilliseconds);

    /// <summary>Flushes to the user, waiting while the pipe is full. Returns false when the reader thread should end.</summary>
    private static bool Flush(PipeWriter writer)
    {
        ValueTask<FlushResult> pending = writer.FlushAsync();
        FlushResult result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return !(result.IsCompleted || result.IsCanceled);
    }
}
