using System.Buffers;
using System.IO.Pipelines;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Serial.Native;

internal sealed partial class TtyPump
{
    // Who drains the send pipe's reader: nobody, the sender inside its flush, or the writer thread. Exactly one party
    // touches the reader at a time; the sender only ever writes without blocking and hands over when the tty is full.
    private const int NoDrainer = 0;
    private const int SenderDrains = 1;
    private const int ThreadDrains = 2;

    private int _drainer;

    // Bumped by the sender after every commit (a flush or its completion). A drainer that found the pipe empty and let
    // go looks at it again: a commit it did not see and could not claim (it held the pipe then) is drained by it.
    private long _commits;

    private long _handOvers;

    /// <summary>How many times a sender handed the draining to the writer thread (tests check both paths ran).</summary>
    internal long HandOvers => Interlocked.Read(ref _handOvers);

    /// <summary>What an attempt to write bytes to the tty came to.</summary>
    private enum Sent
    {
        /// <summary>Everything asked for went out.</summary>
        All,

        /// <summary>The tty's output buffer is full (only when not allowed to wait).</summary>
        NoRoom,

        /// <summary>The link failed or is stopping.</summary>
        Stopped,
    }

    /// <summary>
    /// Called by the sender after each commit to <see cref="Output"/>: writes what the pipe holds from the sender's own
    /// thread, without blocking, and hands the rest to the writer thread when the tty has no room. A burst costs one
    /// <c>write</c> and no thread hand-over while the other end keeps up, as a plain blocking write would.
    /// </summary>
    private void DrainFromSender()
    {
        Interlocked.Increment(ref _commits);
        if (Stopping)
        {
            return; // the link is down or closing: the writer thread, already woken, takes the pipe and ends it
        }

        while (Interlocked.CompareExchange(ref _drainer, SenderDrains, NoDrainer) == NoDrainer)
        {
            long seen = Volatile.Read(ref _commits);
            PipeReader reader = _send.Reader;
            bool handOver;
            try
            {
                handOver = !DrainOnce(reader, wait: false);
            }
            catch (Exception ex)
            {
                _ = Fail($"{ex.GetType().Name}: {ex.Message}", receiving: false);
                handOver = true;
            }

            if (handOver)
            {
                // No room, the end of the stream, or a failure: the writer thread takes it from here (it may block).
                Volatile.Write(ref _drainer, ThreadDrains);
                Interlocked.Increment(ref _handOvers);
                _writerKick.Set();
                return;
            }

            Interlocked.Exchange(ref _drainer, NoDrainer); // a full fence, as in SendLoop
            if (Volatile.Read(ref _commits) == seen)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Writes what the send pipe holds, one segment at a time, each released as soon as it is out, so the sender can
    /// refill the pipe while the rest goes out.
    /// </summary>
    /// <returns>
    /// <see langword="true"/> when the pipe ran empty with its writer still open; <see langword="false"/> when the
    /// stream is over (completed and all sent), the link stopped, or (only when not allowed to wait) the tty is full.
    /// </returns>
    private bool DrainOnce(PipeReader reader, bool wait)
    {
        while (reader.TryRead(out ReadResult result))
        {
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.IsEmpty)
            {
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return false;
                }

                continue;
            }

            ReadOnlySpan<byte> segment = buffer.First.Span;
            Sent sent = Write(segment, wait, out int written);
            reader.AdvanceTo(buffer.GetPosition(written));
            if (sent != Sent.All)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The writer thread: sleeps until the sender hands over (the tty was full, the sender completed, or a failure) or
    /// the pump stops, then drains the pipe, waiting for room as long as it takes, and gives the pipe back once empty.
    /// </summary>
    private void SendLoop()
    {
        PipeReader reader = _send.Reader;
        TransportException? error = null;
        bool owned = false;
        try
        {
            while (true)
            {
                _writerKick.Wait();
                _writerKick.Reset();
                owned = Volatile.Read(ref _drainer) == ThreadDrains;
                if (Stopping)
                {
                    break;
                }

                if (!owned)
                {
                    continue;
                }

                // Read before draining: a commit the drain's last look missed must show as a change below.
                long seen = Volatile.Read(ref _commits);
                if (!DrainOnce(reader, wait: true))
                {
                    break; // waiting for room, the drain stops only at the end of the stream or of the link
                }

                // Empty: give the pipe back (a full fence: the look at the commits below must not move before it),
                // then take it again if the sender committed meanwhile and could not drain.
                Interlocked.Exchange(ref _drainer, NoDrainer);
                owned = false;
                if (Volatile.Read(ref _commits) != seen && Interlocked.CompareExchange(ref _drainer, ThreadDrains, NoDrainer) == NoDrainer)
                {
                    owned = true;
                    _writerKick.Set();
                }
            }
        }
        catch (Exception ex)
        {
            error = Fail($"{ex.GetType().Name}: {ex.Message}", receiving: false);
        }
        finally
        {
            // The writer's next FlushAsync throws this exception, so a sender learns why its bytes cannot go out. The
            // reader is the drainer's: wait for a sender still writing (it never blocks) to let go first.
            if (!owned)
            {
                TakeFromSender();
            }

            reader.Complete(Failure ?? error);
            _writerDone.TrySetResult();
        }
    }

    /// <summary>Makes the writer thread the drainer once a sender inside its flush lets go; that takes microseconds.</summary>
    private void TakeFromSender()
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _drainer, ThreadDrains, NoDrainer) == SenderDrains)
        {
            spin.SpinOnce();
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> to the tty. With <paramref name="wait"/>, waits in <c>poll</c> while the tty's
    /// output buffer is full until all is out; the write timeout counts time without progress, so a slow line that
    /// keeps accepting bytes never times out. Without, returns <see cref="Sent.NoRoom"/> when the tty takes no more.
    /// </summary>
    private unsafe Sent Write(ReadOnlySpan<byte> data, bool wait, out int written)
    {
        written = 0;
        long timeoutMs = (long)Math.Ceiling(_settings.WriteTimeout.TotalMilliseconds);
        long deadline = Environment.TickCount64 + timeoutMs;
        LibC.PollFd* fds = stackalloc LibC.PollFd[2];
        short events = 0;
        while (written < data.Length)
        {
            ReadOnlySpan<byte> rest = data[written..];
            nint count;
            fixed (byte* bytes = rest)
            {
                count = LibC.Write(_fd, bytes, rest.Length);
            }

            int errno;
            if (count > 0)
            {
                written += (int)count;
                deadline = Environment.TickCount64 + timeoutMs;
                events = 0;
                if (count == rest.Length)
                {
                    continue;
                }

                errno = LibC.EAgain; // the tty took what it had room for: wait for room rather than ask again
            }
            else
            {
                errno = count < 0 ? LibC.LastErrno() : LibC.EAgain;
            }

            if (errno == LibC.EIntr)
            {
                continue;
            }

            if (errno == LibC.EIo || (errno == LibC.EAgain && (events & (LibC.PollHup | LibC.PollErr)) != 0))
            {
                Fail(HangUp, receiving: false);
                return Sent.Stopped;
            }

            if (errno != LibC.EAgain)
            {
                Fail($"write failed: {LibC.LastError()} (errno {errno})", receiving: false);
                return Sent.Stopped;
            }

            if (!wait)
            {
                return Sent.NoRoom;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                Fail($"{data.Length - written} bytes found no room in the port's output buffer for {timeoutMs} ms (WriteTimeout): the other end is not reading, or flow control holds the line", receiving: false);
                return Sent.Stopped;
            }

            fds[0] = new LibC.PollFd { Fd = _fd, Events = LibC.PollOut };
            fds[1] = new LibC.PollFd { Fd = _wakeRead, Events = LibC.PollIn };
            if (LibC.Poll(fds, 2, (int)Math.Min(left, int.MaxValue)) < 0 && LibC.LastErrno() != LibC.EIntr)
            {
                Fail($"poll failed: {LibC.LastError()}", receiving: false);
                return Sent.Stopped;
            }

            if (fds[1].REvents != 0 || Stopping)
            {
                return Sent.Stopped;
            }

            events = fds[0].REvents;
            if ((events & LibC.PollNval) != 0)
            {
                Fail("the port's descriptor was closed under the transport", receiving: false);
                return Sent.Stopped;
            }
        }

        return Sent.All;
    }

    /// <summary>
    /// <see cref="Output"/>: the send pipe's writer, which after each flush (and at completion) drains the pipe from the
    /// sender's thread as far as the tty takes it without blocking.
    /// </summary>
    private sealed class SendWriter(TtyPump pump, PipeWriter inner) : ForwardingPipeWriter(inner)
    {
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (pump.Failure is { } failed)
            {
                return ValueTask.FromException<FlushResult>(failed);
            }

            // Committed first; the result (paused while 256 KiB wait) completes when a drainer makes room.
            ValueTask<FlushResult> flush = Inner.FlushAsync(cancellationToken);
            pump.DrainFromSender();

            // A failure this drain found (or the other direction reported) is the sender's to know now, not at a
            // later flush once the writer thread has ended the pipe.
            return pump.Failure is { } failure ? ValueTask.FromException<FlushResult>(failure) : flush;
        }

        public override void Complete(Exception? exception = null)
        {
            Inner.Complete(exception);
            pump.DrainFromSender();
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Complete(exception);
            return ValueTask.CompletedTask;
        }
    }
}
