using System.Buffers;
using System.IO.Pipelines;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Serial.Native;

internal sealed partial class TtyPump
{
    /// <summary>The writer thread: waits for bytes in <see cref="Output"/> and writes them all to the tty.</summary>
    private void SendLoop()
    {
        PipeReader reader = _send.Reader;
        TransportException? error = null;
        try
        {
            while (true)
            {
                ReadResult result = _writerWait.Wait(reader.ReadAsync());
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    reader.AdvanceTo(buffer.Start);
                    break; // stopping: what is left was given its grace period already
                }

                if (!buffer.IsEmpty)
                {
                    // One segment at a time, each released as soon as it is written: the sender can refill the pipe
                    // while the rest goes out, instead of waiting for the whole buffer (up to the pause threshold).
                    ReadOnlyMemory<byte> segment = buffer.First;
                    bool sent = WriteAll(segment.Span);
                    reader.AdvanceTo(buffer.GetPosition(segment.Length));
                    if (!sent)
                    {
                        break;
                    }

                    continue; // what is left is returned by the next read at once
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = Fail($"{ex.GetType().Name}: {ex.Message}", receiving: false);
        }
        finally
        {
            // The writer's next FlushAsync throws this exception, so a sender learns why its bytes cannot go out.
            reader.Complete(Failure ?? error);
            _writerDone.TrySetResult();
        }
    }

    /// <summary>
    /// Writes all of <paramref name="data"/>, waiting in <c>poll</c> while the tty's output buffer is full. The write
    /// timeout counts time without progress: a slow line that keeps accepting bytes never times out.
    /// </summary>
    /// <returns><see langword="false"/> if the link failed or is stopping.</returns>
    private unsafe bool WriteAll(ReadOnlySpan<byte> data)
    {
        long timeoutMs = (long)Math.Ceiling(_settings.WriteTimeout.TotalMilliseconds);
        long deadline = Environment.TickCount64 + timeoutMs;
        LibC.PollFd* fds = stackalloc LibC.PollFd[2];
        short events = 0;
        while (!data.IsEmpty)
        {
            nint written;
            fixed (byte* bytes = data)
            {
                written = LibC.Write(_fd, bytes, data.Length);
            }

            int errno;
            if (written > 0)
            {
                bool partial = written < data.Length;
                data = data[(int)written..];
                deadline = Environment.TickCount64 + timeoutMs;
                events = 0;
                if (!partial)
                {
                    continue;
                }

                errno = LibC.EAgain; // the tty took what it had room for: wait for room rather than ask again
            }
            else
            {
                errno = written < 0 ? LibC.LastErrno() : LibC.EAgain;
            }

            if (errno == LibC.EIntr)
            {
                continue;
            }

            if (errno == LibC.EIo || (errno == LibC.EAgain && (events & (LibC.PollHup | LibC.PollErr)) != 0))
            {
                Fail(HangUp, receiving: false);
                return false;
            }

            if (errno != LibC.EAgain)
            {
                Fail($"write failed: {LibC.LastError()} (errno {errno})", receiving: false);
                return false;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                Fail($"{data.Length} bytes found no room in the port's output buffer for {timeoutMs} ms (WriteTimeout): the other end is not reading, or flow control holds the line", receiving: false);
                return false;
            }

            fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.PollOut };
            fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
            if (LibC.Poll(fds, 2, (int)Math.Min(left, int.MaxValue)) < 0 && LibC.LastErrno() != LibC.EIntr)
            {
                Fail($"poll failed: {LibC.LastError()}", receiving: false);
                return false;
            }

            if (fds[1].REvents != 0 || Stopping)
            {
                return false;
            }

            events = fds[0].REvents;
            if ((events & LibC.PollNval) != 0)
            {
                Fail("the port's descriptor was closed under the transport", receiving: false);
                return false;
            }
        }

        return true;
    }
}
