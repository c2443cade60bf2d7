using System.Buffers;
using System.IO.Pipelines;

namespace Mcp.Frames.Transports;

/// <summary>
/// The two I/O loops of a stream-like link (socket, TLS stream, serial port): a receive loop from the device into the
/// <see cref="Input"/> pipe and a send loop from the <see cref="Output"/> pipe to the device, plus the rules every
/// transport shares: the first failure wins and ends both directions with one <see cref="TransportException"/>;
/// a local close ends <see cref="Input"/> normally; disposal is bounded in time even when the device hangs.
/// </summary>
/// <remarks>
/// <para>The user owns <c>Input</c>'s reader and <c>Output</c>'s writer; the loops own the other ends. The loops never
/// throw: every outcome becomes a pipe completion.</para>
/// <para>This file is compiled into Mcp.Frames and, as a linked file, into Mcp.Frames.Serial.</para>
/// </remarks>
internal abstract class DuplexPipePump
{
    private readonly Pipe _receive;
    private readonly Pipe _send;
    private readonly CancellationTokenSource _stop = new();
    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private TransportException? _failure;
    private int _receiveWriterCompleted;
    private int _disposeState;
    private volatile bool _closing;

    /// <param name="name">The link's name, for messages.</param>
    /// <param name="receiveOptions">The options of <see cref="Input"/>'s pipe.</param>
    /// <param name="sendOptions">The options of <see cref="Output"/>'s pipe.</param>
    /// <param name="answerInline">
    /// Run the send loop on the flushing thread when something was received since it last sent (a request and its
    /// answer), and on the thread pool otherwise (a stream of flushes, which the loop then coalesces while it runs
    /// behind the writer). Needs a device whose sends usually complete at once (a socket).
    /// </param>
    protected DuplexPipePump(string name, PipeOptions receiveOptions, PipeOptions sendOptions, bool answerInline = false)
    {
        Name = name;
        _receive = new Pipe(receiveOptions);
        _send = new Pipe(answerInline ? WithReaderScheduler(sendOptions, new AnswerScheduler(this)) : sendOptions);
    }

    // 1 when bytes were received since the send loop last took bytes to send (see answerInline).
    private int _receivedSinceSend;
    private long _inlineSends;

    /// <summary>How many times the send loop ran on the flushing thread (tests check when it does).</summary>
    internal long InlineSends => Interlocked.Read(ref _inlineSends);

    /// <summary>The link's name, for messages.</summary>
    public string Name { get; }

    /// <summary>Bytes received from the device.</summary>
    public PipeReader Input => _receive.Reader;

    /// <summary>Bytes to send to the device.</summary>
    public PipeWriter Output => _send.Writer;

    /// <summary>The first failure of the link, or <see langword="null"/> while it is up or after an orderly close.</summary>
    public TransportException? Failure => Volatile.Read(ref _failure);

    /// <summary>The memory asked of the pipe for each receive.</summary>
    protected virtual int ReceiveSizeHint => 4096;

    /// <summary>How long disposal lets bytes already written to <see cref="Output"/> go out before closing.</summary>
    protected virtual TimeSpan SendGracePeriod => TimeSpan.FromSeconds(1);

    /// <summary>How long disposal waits for the device to close and the loops to end.</summary>
    protected virtual TimeSpan CloseDeadline => TimeSpan.FromSeconds(2);

    /// <summary>Reads from the device. Returns 0 at the end of the stream.</summary>
    protected abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="buffer"/> to the device.</summary>
    protected abstract ValueTask SendAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Called once the user completed <see cref="Output"/> and everything was sent (TCP: FIN).</summary>
    protected virtual ValueTask ShutdownSendAsync(CancellationToken cancellationToken) => default;

    /// <summary>
    /// Called when the receive loop starts (<paramref name="waiting"/>) and stops waiting for the application to make
    /// room in Input; a read timeout that counts the device's silence must not run meanwhile.
    /// </summary>
    protected virtual void OnReceiveBackPressure(bool waiting)
    {
    }

    /// <summary>
    /// What a receive of 0 bytes means: <see langword="null"/> for an orderly end (TCP FIN), or the failure to report
    /// (a serial hang-up).
    /// </summary>
    protected virtual TransportException? DescribeEndOfStream() => null;

    /// <summary>Turns an I/O error into the exception the user sees; the message names the link and the reason.</summary>
    protected abstract TransportException DescribeFailure(Exception error, bool receiving);

    /// <summary>Closes the device. May hang (serial close after a hang-up); disposal waits for it with a deadline.</summary>
    protected abstract ValueTask CloseDeviceAsync();

    /// <summary>Called when <see cref="CloseDeviceAsync"/> or the loops did not finish within <see cref="CloseDeadline"/>.</summary>
    protected virtual void OnCloseDeadlineMissed(string what)
    {
    }

    /// <summary>Starts both loops. Call once, at the end of the derived constructor.</summary>
    protected void StartPumping()
    {
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _sendLoop = Task.Run(SendLoopAsync);
    }

    /// <summary>
    /// Closes the link: lets bytes already in <see cref="Output"/> go out (bounded by <see cref="SendGracePeriod"/>),
    /// then closes the device (bounded by <see cref="CloseDeadline"/>). <see cref="Input"/> then ends normally.
    /// Do not write to <see cref="Output"/> concurrently with disposal.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) != 0)
        {
            return;
        }

        // Completing the writer lets the send loop drain what was written and shut down the sending direction.
        await _send.Writer.CompleteAsync().ConfigureAwait(false);
        await WaitBoundedAsync(_sendLoop, SendGracePeriod).ConfigureAwait(false);

        _closing = true;
        await _stop.CancelAsync().ConfigureAwait(false);

        Task close;
        try
        {
            close = CloseDeviceAsync().AsTask();
        }
        catch (Exception ex)
        {
            close = Task.FromException(ex);
        }

        if (!await WaitBoundedAsync(close, CloseDeadline).ConfigureAwait(false))
        {
            OnCloseDeadlineMissed("closing the device");
        }

        if (!await WaitBoundedAsync(Task.WhenAll(_receiveLoop, _sendLoop), CloseDeadline).ConfigureAwait(false))
        {
            // A device read that ignores both cancellation and close: end Input anyway so readers are released.
            OnCloseDeadlineMissed("stopping the I/O loops");
            CompleteReceiveWriter(null);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _receive.Writer;
        TransportException? error = null;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(ReceiveSizeHint);
                int received = await ReceiveAsync(memory, _stop.Token).ConfigureAwait(false);
                if (received == 0)
                {
                    error = DescribeEndOfStream();
                    if (error is not null && !_closing)
                    {
                        error = Fail(error);
                    }

                    break;
                }

                writer.Advance(received);
                Volatile.Write(ref _receivedSinceSend, 1);
                ValueTask<FlushResult> flushing = writer.FlushAsync(_stop.Token);
                FlushResult flush;
                if (flushing.IsCompletedSuccessfully)
                {
                    flush = flushing.Result;
                }
                else
                {
                    // The reader is behind (Input is full): the device is not silent, this end is not reading.
                    OnReceiveBackPressure(waiting: true);
                    try
                    {
                        flush = await flushing.ConfigureAwait(false);
                    }
                    finally
                    {
                        OnReceiveBackPressure(waiting: false);
                    }
                }

                if (flush.IsCompleted)
                {
                    break; // the user completed Input: nobody reads any more
                }
            }
        }
        catch (Exception ex)
        {
            error = Failure ?? (_closing ? null : Fail(DescribeFailure(ex, receiving: true)));
        }

        if (error is not null && !_closing)
        {
            // Let the send loop fail its pipe first, so that whoever sees Input fail also sees Output fail.
            await WaitBoundedAsync(_sendLoop, CloseDeadline).ConfigureAwait(false);
        }

        CompleteReceiveWriter(error);
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _send.Reader;
        TransportException? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    // Whatever this sends answers what came before, however the loop got here: a flush that found
                    // it busy left the flag set, and must not make a later, unrelated flush run inline.
                    Volatile.Write(ref _receivedSinceSend, 0);
                    await SendAsync(buffer, _stop.Token).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    await ShutdownSendAsync(_stop.Token).ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = Failure ?? (_closing ? null : Fail(DescribeFailure(ex, receiving: false)));
        }

        // The writer's next FlushAsync throws this exception, so a sender learns why its bytes cannot go out.
        await reader.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>Records the first failure and stops both loops. Returns the failure that won.</summary>
    protected TransportException Fail(TransportException error)
    {
        TransportException winner = Interlocked.CompareExchange(ref _failure, error, null) ?? error;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (AggregateException)
        {
            // A cancellation callback of the device threw; the loops still see the token.
        }

        return winner;
    }

    private void CompleteReceiveWriter(Exception? error)
    {
        if (Interlocked.Exchange(ref _receiveWriterCompleted, 1) == 0)
        {
            _receive.Writer.Complete(error);
        }
    }

    private static PipeOptions WithReaderScheduler(PipeOptions options, PipeScheduler readerScheduler) => new(
        options.Pool,
        readerScheduler,
        options.WriterScheduler,
        options.PauseWriterThreshold,
        options.ResumeWriterThreshold,
        options.MinimumSegmentSize,
        options.UseSynchronizationContext);

    /// <summary>
    /// The send pipe's reader scheduler with <c>answerInline</c>: the send loop continues on the thread that flushed
    /// when bytes arrived since it last sent (an answer goes out without a hand-over), else on the thread pool.
    /// </summary>
    private sealed class AnswerScheduler(DuplexPipePump pump) : PipeScheduler
    {
        public override void Schedule(Action<object?> action, object? state)
        {
            if (Interlocked.Exchange(ref pump._receivedSinceSend, 0) == 1)
            {
                Interlocked.Increment(ref pump._inlineSends);
                action(state);
            }
            else
            {
                ThreadPool.Schedule(action, state); // PipeScheduler.ThreadPool
            }
        }
    }

    private static async Task<bool> WaitBoundedAsync(Task task, TimeSpan deadline)
    {
        try
        {
            await task.WaitAsync(deadline).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
            return true; // finished, with an error that is of no use during a close
        }
    }
}
