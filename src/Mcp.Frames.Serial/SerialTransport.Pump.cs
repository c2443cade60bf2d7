using System.Buffers;
using System.IO.Ports;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Serial;

public sealed partial class SerialTransport
{
    /// <summary>The serial port's read and write loops.</summary>
    /// <remarks>
    /// <para>
    /// Reads go into buffers owned by this object and are then copied into the pipe. On Linux, System.IO.Ports serves
    /// reads from its own I/O thread: a read that is cancelled (timeout, close) may still be filled by that thread a
    /// moment later, so its memory must never be pipe memory already returned to a shared pool. For the same reason
    /// writes are copied into a private buffer first. Serial data rates make the copy free.
    /// </para>
    /// <para>
    /// Several reads are kept queued at the port. The port's I/O thread sleeps for a millisecond whenever it finds no
    /// read queued, which with a single outstanding read caps throughput at about one read per millisecond.
    /// Its read queue is first-in first-out, so the reads complete in the order they were issued.
    /// </para>
    /// <para>
    /// Every read and write is started under <c>_deviceGate</c>, and the close sets <c>_deviceClosing</c> under it
    /// before disposing the stream. System.IO.Ports starts its I/O thread from the first read or write (and again after
    /// two idle seconds) and stores that thread's task only once the thread runs; a dispose on another thread in
    /// between does not wait for the thread, closes the handle under it, and the thread's task fails unobserved
    /// (NullReferenceException in <c>SerialStream.IOLoop</c>). Under the gate, a read or write that got in has
    /// stored its task before the dispose looks, and none starts after.
    /// </para>
    /// </remarks>
    private sealed class Pump : DuplexPipePump, ILinkPump
    {
        private const int ReadSize = 4096;
        private const int QueuedReads = 8;

        private readonly SerialPort _port;
        private readonly Stream _stream;
        private readonly SerialTransportOptions _options;
        private readonly ILogger _logger;
        private readonly byte[][] _readBuffers = new byte[QueuedReads][];
        private readonly Task<int>?[] _reads = new Task<int>?[QueuedReads];
        private readonly CancellationTokenSource?[] _readTokens = new CancellationTokenSource?[QueuedReads];
        private readonly CancellationTokenSource _silence = new();
        private readonly Lock _deviceGate = new();
        private bool _deviceClosing; // under _deviceGate
        private readonly byte[][] _writeBuffers;
        private Task? _lastWrite;
        private int _writeSlot;
        private int _oldestRead;

        public Pump(string name, SerialPort port, SerialTransportOptions options, ILogger logger)
            : base(name, TransportPipes.Create(), TransportPipes.Create(256 * 1024))
        {
            _port = port;
            _stream = port.BaseStream;
            _options = options;
            _logger = logger;
            for (int i = 0; i < QueuedReads; i++)
            {
                _readBuffers[i] = new byte[ReadSize];
            }

            // One write carries at most what the line sends in a quarter of the write timeout: with two writes queued,
            // a healthy but slow line never times out.
            double bytesPerSecond = options.BaudRate / options.BitsPerCharacter;
            int chunk = (int)Math.Clamp(bytesPerSecond * options.WriteTimeout.TotalSeconds / 4, 64, 64 * 1024);
            _writeBuffers = [new byte[chunk], new byte[chunk]];
            ArmSilenceTimeout();
            StartPumping();
        }

        protected override int ReceiveSizeHint => ReadSize;

        protected override TimeSpan SendGracePeriod => _options.DisposeTimeout / 4;

        protected override TimeSpan CloseDeadline => _options.DisposeTimeout * 3 / 8;

        protected override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            for (int i = 0; i < QueuedReads; i++)
            {
                int slot = (_oldestRead + i) % QueuedReads;
                if (_reads[slot] is null)
                {
                    IssueRead(slot, cancellationToken);
                }
            }

            int oldest = _oldestRead;
            int received;
            try
            {
                received = await _reads[oldest]!.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ObservePendingReads();
                throw new TimeoutException($"no data for {_options.ReadTimeout.TotalMilliseconds:0} ms (ReadTimeout)");
            }
            catch
            {
                ObservePendingReads();
                throw;
            }

            _readTokens[oldest]?.Dispose();
            _readTokens[oldest] = null;
            _reads[oldest] = null;
            _oldestRead = (oldest + 1) % QueuedReads;
            if (received <= 0)
            {
                ObservePendingReads();
                return 0;
            }

            ArmSilenceTimeout();
            _readBuffers[oldest].AsSpan(0, received).CopyTo(buffer.Span);
            IssueRead(oldest, cancellationToken); // back of the queue, behind the reads already waiting
            return received;
        }

        protected override async ValueTask SendAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            // Two writes in flight, each from its own private buffer, also across calls: the port's I/O thread then
            // always has the next write queued when one finishes (with one, it sleeps a millisecond between writes).
            // The last write may still be running when this returns; the next call or the shutdown waits for it, and
            // its failure, if any, fails the link at once (WriteChunkAsync).
            while (!buffer.IsEmpty)
            {
                byte[] chunk = _writeBuffers[_writeSlot];
                int length = (int)Math.Min(buffer.Length, chunk.Length);
                buffer.Slice(0, length).CopyTo(chunk);
                buffer = buffer.Slice(length);
                Task? older = _lastWrite;
                _lastWrite = WriteChunkAsync(chunk, length, cancellationToken);
                Observe(_lastWrite);
                _writeSlot ^= 1;
                if (older is not null)
                {
                    await older.ConfigureAwait(false); // frees the buffer the next chunk goes into
                }
            }
        }

        protected override async ValueTask ShutdownSendAsync(CancellationToken cancellationToken)
        {
            if (_lastWrite is { } last)
            {
                await last.ConfigureAwait(false);
            }
        }

        private async Task WriteChunkAsync(byte[] chunk, int length, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.WriteTimeout);
            try
            {
                Task write;
                lock (_deviceGate)
                {
                    ObjectDisposedException.ThrowIf(_deviceClosing, _stream);
                    write = _stream.WriteAsync(chunk, 0, length, timeout.Token);
                }

                await write.ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Exception error = ex is OperationCanceledException
                    ? new TimeoutException($"a write of {length} bytes did not finish within {_options.WriteTimeout.TotalMilliseconds:0} ms (WriteTimeout): the other end is not reading, or flow control holds the line")
                    : ex;

                // Nobody may be waiting for this write (the send loop returns with the last one in flight): fail the
                // link from here, and leave nothing unobserved.
                TransportException failure = Fail(DescribeFailure(error, receiving: false));
                throw failure;
            }
        }

        protected override TransportException? DescribeEndOfStream() =>
            new($"{Name}: link down: the port reported end of stream (hang-up: the device was unplugged or the other end closed).");

        protected override TransportException DescribeFailure(Exception error, bool receiving)
        {
            string reason = error switch
            {
                ObjectDisposedException => $"the port closed under the transport (hang-up: the device was unplugged or the other end closed): {error.Message}",
                TimeoutException => error.Message,
                UnauthorizedAccessException => $"access to the port was revoked: {error.Message}",
                IOException => $"I/O error (device unplugged?): {error.Message}",
                _ => $"{error.GetType().Name}: {error.Message}",
            };
            return new TransportException($"{Name}: link down while {(receiving ? "receiving" : "sending")}: {reason}", error);
        }

        protected override ValueTask CloseDeviceAsync()
        {
            lock (_deviceGate)
            {
                _deviceClosing = true; // before the dispose: no read or write starts the port's I/O thread after this
            }

            ObservePendingReads();
            _silence.CancelAfter(Timeout.InfiniteTimeSpan); // stop the silence timer; nothing reads any more

            // Dispose the stream before the SerialPort: SerialPort.Dispose flushes first, and that flush spins forever
            // when a write is stuck in the queue of a port whose I/O thread ended after a hang-up.
            return new ValueTask(Task.Run(() =>
            {
                try
                {
                    _stream.Dispose();
                }
                finally
                {
                    _port.Dispose();
                }
            }));
        }

        protected override void OnCloseDeadlineMissed(string what) => SerialLog.CloseDeadlineMissed(_logger, Name, what);

        /// <summary>While the application is behind, the silence timer is stopped; it starts over when Input has room.</summary>
        protected override void OnReceiveBackPressure(bool waiting)
        {
            if (waiting)
            {
                _silence.CancelAfter(Timeout.InfiniteTimeSpan);
            }
            else
            {
                ArmSilenceTimeout();
            }
        }

        private void IssueRead(int slot, CancellationToken cancellationToken)
        {
            // A token per read: System.IO.Ports registers on it and never unregisters, so one long-lived token would
            // collect a registration per read for the life of the link. Disposing this one drops the registration.
            var token = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _silence.Token);
            _readTokens[slot] = token;
            lock (_deviceGate)
            {
                try
                {
                    ObjectDisposedException.ThrowIf(_deviceClosing, _stream);
                    _reads[slot] = _stream.ReadAsync(_readBuffers[slot], 0, ReadSize, token.Token);
                }
                catch (Exception ex)
                {
                    // Observed at once: a read issued while the close begins is awaited by nobody.
                    _reads[slot] = Task.FromException<int>(ex);
                    Observe(_reads[slot]);
                }
            }
        }

        /// <summary>
        /// ReadTimeout counts silence, not the age of a read: with several reads queued, a read may wait behind others
        /// for longer than the timeout while bytes keep arriving. So one timer, re-armed whenever bytes arrive, cancels
        /// every queued read.
        /// </summary>
        private void ArmSilenceTimeout()
        {
            if (_options.ReadTimeout != Timeout.InfiniteTimeSpan)
            {
                _silence.CancelAfter(_options.ReadTimeout);
            }
        }

        /// <summary>Reads abandoned when the link goes down fail later, when the port closes: observe them.</summary>
        private void ObservePendingReads()
        {
            for (int i = 0; i < QueuedReads; i++)
            {
                Observe(_reads[i]);
            }
        }

        private static void Observe(Task? abandoned) =>
            abandoned?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
