using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Mcp.Frames.Framing;

/// <summary>
/// Reads frames from a <see cref="PipeReader"/>: one async loop that parses every complete frame in each buffer,
/// advances once per buffer, applies stall recovery (rule 5) with its clock, and completes the reader when done.
/// </summary>
/// <remarks>
/// <para>
/// Buffer handling follows the Pipelines contract: all complete frames in a buffer are delivered before one
/// <c>AdvanceTo(consumed, examined)</c>; when an incomplete candidate remains, <c>examined</c> is the buffer's end so
/// the next read waits for new bytes instead of spinning; at the end of the stream the buffer is drained (rule 6)
/// before the loop ends.
/// </para>
/// <para>Frames handed out point into the pipe's memory and are valid only until the sink returns (or, for
/// <see cref="ReadAllAsync"/>, until the enumerator moves on).</para>
/// </remarks>
public sealed class FrameReader
{
    private readonly PipeReader _input;
    private readonly TimeSpan? _stallTimeout;
    private readonly TimeProvider _time;

    /// <summary>Creates a frame reader.</summary>
    /// <param name="input">The bytes to read. The reader completes it when its loop ends.</param>
    /// <param name="parser">The parser (and so the payload limit and counters) of this link.</param>
    /// <param name="options">Stall recovery and clock; <see langword="null"/> for none.</param>
    public FrameReader(PipeReader input, FrameParser parser, FrameReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(parser);
        options ??= new FrameReaderOptions();
        options.Validate();
        _input = input;
        Parser = parser;
        _stallTimeout = options.StallTimeout;
        _time = options.TimeProvider;
    }

    /// <summary>The parser of this link: its payload limit and counters.</summary>
    public FrameParser Parser { get; }

    /// <summary>
    /// Runs the read loop, delivering every frame to <paramref name="sink"/> on the loop's own thread.
    /// Returns when the stream ends or the sink asks to stop; completes the pipe reader either way.
    /// </summary>
    /// <param name="sink">Receives frames; must not block (hand work off to a queue).</param>
    /// <param name="cancellationToken">Stops the loop with <see cref="OperationCanceledException"/>.</param>
    /// <returns><see langword="true"/> when the stream ended; <see langword="false"/> when the sink stopped the loop.</returns>
    public async Task<bool> RunAsync(IFrameSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Exception? error = null;
        using var stall = new StallTimer(this);
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool stopped = ParseBuffer(ref buffer, sink, result, stall);
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (stopped)
                {
                    return false;
                }

                if (result.IsCompleted)
                {
                    return true;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            await _input.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Yields frames one at a time. Each frame's payload is valid until the enumerator moves on. Completes the pipe
    /// reader when the enumeration ends.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The frames, in stream order.</returns>
    public async IAsyncEnumerable<Frame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stall = new StallTimer(this);
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                stall.OnRead(result);
                while (true)
                {
                    if (Parser.TryParse(ref buffer, out Frame frame, result.IsCompleted))
                    {
                        yield return frame;
                        continue;
                    }

                    if (!stall.TryRecover(ref buffer))
                    {
                        break;
                    }
                }

                stall.AfterParse(buffer.Length);
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private bool ParseBuffer(ref ReadOnlySequence<byte> buffer, IFrameSink sink, ReadResult result, StallTimer stall)
    {
        stall.OnRead(result);
        var forward = new ForwardingSink(sink);
        while (true)
        {
            Parser.ParseAll(ref buffer, ref forward, result.IsCompleted);
            if (forward.Stopped)
            {
                return true;
            }

            if (!stall.TryRecover(ref buffer))
            {
                break;
            }
        }

        stall.AfterParse(buffer.Length);
        return false;
    }

    private struct ForwardingSink(IFrameSink inner) : IFrameSink
    {
        public bool Stopped;

        public bool OnFrame(in Frame frame)
        {
            if (inner.OnFrame(in frame))
            {
                return true;
            }

            Stopped = true;
            return false;
        }
    }

    /// <summary>
    /// Rule 5 with a clock. The timer only wakes the read loop (<c>CancelPendingRead</c>); the loop itself decides,
    /// from the time the last new byte arrived, whether the pending candidate has stalled. All buffer work stays on
    /// the loop.
    /// </summary>
    private sealed class StallTimer : IDisposable
    {
        private readonly FrameReader _owner;
        private readonly ITimer? _timer;
        private long _lastProgress;
        private long _unconsumedLength;
        private bool _armed;

        public StallTimer(FrameReader owner)
        {
            _owner = owner;
            if (owner._stallTimeout is not null)
            {
                _timer = owner._time.CreateTimer(static s => ((PipeReader)s!).CancelPendingRead(), owner._input, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            _lastProgress = owner._time.GetTimestamp();
        }

        public void OnRead(ReadResult result)
        {
            if (result.Buffer.Length != _unconsumedLength)
            {
                _lastProgress = _owner._time.GetTimestamp();
            }
        }

        public bool TryRecover(ref ReadOnlySequence<byte> buffer)
        {
            if (_timer is null || !_owner.Parser.HasPendingCandidate)
            {
                return false;
            }

            if (_owner._time.GetElapsedTime(_lastProgress) < _owner._stallTimeout!.Value)
            {
                return false;
            }

            return _owner.Parser.DiscardStalledCandidate(ref buffer);
        }

        public void AfterParse(long unconsumedLength)
        {
            _unconsumedLength = unconsumedLength;
            if (_timer is null)
            {
                return;
            }

            if (_owner.Parser.HasPendingCandidate)
            {
                TimeSpan remaining = _owner._stallTimeout!.Value - _owner._time.GetElapsedTime(_lastProgress);
                _timer.Change(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
                _armed = true;
            }
            else if (_armed)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _armed = false;
            }
        }

        public void Dispose() => _timer?.Dispose();
    }
}
