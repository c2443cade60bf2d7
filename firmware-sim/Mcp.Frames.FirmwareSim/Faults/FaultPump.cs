using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Mcp.Frames.Framing;

namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// Moves the bytes of one direction of a link from a source pipe to a sink pipe, injecting that direction's
/// <see cref="LinkFaults"/> on the way.
/// </summary>
/// <remarks>
/// <para>
/// Stage one reads the source, cuts the byte stream into frames (a 0x5A header, a length within the device's limit,
/// a valid XOR check) and stray bytes, and makes every fault decision from the link's seeded stream, in byte order.
/// The decisions therefore depend only on the seed, the settings and the bytes, never on how the bytes were split into
/// reads or on timing. Stage two writes the result to the sink, waiting for each item's due time (delay, jitter) and
/// pausing between chunks, on the host's <see cref="TimeProvider"/>; order is always kept.
/// </para>
/// <para>
/// With no fault configured and the device not silent, bytes pass straight through, without being cut into frames.
/// </para>
/// </remarks>
internal sealed partial class FaultPump
{
    private const int QueueCapacity = 1024;

    private readonly PipeReader _source;
    private readonly PipeWriter _sink;
    private readonly FaultController _controller;
    private readonly Func<FaultSettings, LinkFaults> _direction;
    private readonly FaultRandom _random;
    private readonly TimeProvider _time;
    private readonly int _maxPayload;
    private readonly TimeSpan? _stallTimeout;
    private readonly Action _disconnect;
    private readonly Channel<Emission> _queue = Channel.CreateBounded<Emission>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource _hurry = new();
    private byte[] _pending = new byte[4096];
    private int _pendingLength;
    private long _frames;
    private long _lastDue;

    /// <param name="source">Where the bytes come from.</param>
    /// <param name="sink">Where they go.</param>
    /// <param name="controller">The host's running faults.</param>
    /// <param name="direction">Picks this direction's link faults from the settings.</param>
    /// <param name="random">This direction's decision stream.</param>
    /// <param name="time">The host's clock (delays, gaps, the stall timeout).</param>
    /// <param name="maxPayload">The largest payload a frame on this link may have.</param>
    /// <param name="stallTimeout">How long an incomplete frame is held before its bytes pass as stray bytes; <see langword="null"/> to wait for more bytes indefinitely.</param>
    /// <param name="disconnect">Ends the link (the disconnect-after fault).</param>
    public FaultPump(PipeReader source, PipeWriter sink, FaultController controller, Func<FaultSettings, LinkFaults> direction, FaultRandom random, TimeProvider time, int maxPayload, TimeSpan? stallTimeout, Action disconnect)
    {
        _source = source;
        _sink = sink;
        _controller = controller;
        _direction = direction;
        _random = random;
        _time = time;
        _maxPayload = maxPayload;
        _stallTimeout = stallTimeout;
        _disconnect = disconnect;
    }

    /// <summary>Whether the sink's reader went away (the pump then stops).</summary>
    public bool SinkClosed { get; private set; }

    /// <summary>Stops waiting for due times and chunk gaps: what is queued goes out at once (used when the link closes).</summary>
    public void Hurry() => _hurry.Cancel();

    /// <summary>Runs until the source ends (returns), the link is disconnected (returns), or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Task emitter = EmitLoopAsync(cancellationToken);
        try
        {
            await ReadLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _queue.Writer.TryComplete();
            await emitter.ConfigureAwait(false);
        }
    }

    private static bool IsFrameCandidateComplete(ReadOnlySpan<byte> data, int maxPayload, out int length, out bool isFrame)
    {
        // Mirrors the receiver rules (PROTOCOL.md §1.1): a header, a length guard, then the XOR check.
        isFrame = false;
        length = 1;
        if (data.Length < FrameFormat.PrefixLength)
        {
            return false;
        }

        int payload = data[2] | (data[3] << 8);
        if (payload > maxPayload)
        {
            return true; // oversize: the 0x5A is a stray byte
        }

        int total = payload + FrameFormat.Overhead;
        if (data.Length < total)
        {
            return false;
        }

        if (FrameChecksum.Compute(data[..(total - 1)]) == data[total - 1])
        {
            isFrame = true;
            length = total;
        }

        return true;
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            if (_pendingLength > 0 && _stallTimeout is { } stall)
            {
                using var deadline = new CancellationTokenSource(stall, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                try
                {
                    result = await _source.ReadAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // An incomplete frame stalled: its bytes pass on as they are (the receiver has the same rule).
                    if (!await ProcessAsync(flushIncomplete: true, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }
            }
            else
            {
                result = await _source.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            Append(buffer);
            _source.AdvanceTo(buffer.End);
            if (!await ProcessAsync(result.IsCompleted, cancellationToken).ConfigureAwait(false) || result.IsCompleted || result.IsCanceled || SinkClosed)
            {
                return;
            }
        }
    }

    /// <summary>Cuts the pending bytes into frames and stray bytes and queues them with their faults. False once disconnected.</summary>
    private async ValueTask<bool> ProcessAsync(bool flushIncomplete, CancellationToken cancellationToken)
    {
        if (_pendingLength == 0)
        {
            return true;
        }

        LinkFaults faults = _direction(_controller.Current);
        bool silent = _controller.IsSilent;
        if (!silent && faults.IsNone)
        {
            await QueueAsync(Emission.Copy(_pending.AsSpan(0, _pendingLength), 0), cancellationToken).ConfigureAwait(false);
            _pendingLength = 0;
            return true;
        }

        int offset = 0;
        while (offset < _pendingLength)
        {
            ReadOnlySpan<byte> rest = _pending.AsSpan(offset, _pendingLength - offset);
            int length;
            bool isFrame;
            if (rest[0] != FrameFormat.Header)
            {
                int next = rest.IndexOf(FrameFormat.Header);
                length = next < 0 ? rest.Length : next;
                isFrame = false;
            }
            else if (!IsFrameCandidateComplete(rest, _maxPayload, out length, out isFrame))
            {
                if (!flushIncomplete)
                {
                    break; // wait for the rest of the candidate
                }

                length = 1;
                isFrame = false;
            }

            ReadOnlySpan<byte> unit = rest[..length];
            offset += length;
            if (silent)
            {
                _controller.Counters.Silenced();
                continue;
            }

            if (!isFrame)
            {
                await QueueAsync(ApplyByteFaults(unit, faults, 0), cancellationToken).ConfigureAwait(false);
            }
            else if (!await QueueFrameAsync(_pending.AsMemory(offset - length, length), faults, cancellationToken).ConfigureAwait(false))
            {
                _pendingLength = 0;
                return false;
            }
        }

        _pending.AsSpan(offset, _pendingLength - offset).CopyTo(_pending);
        _pendingLength -= offset;
        return true;
    }

    private async ValueTask<bool> QueueFrameAsync(ReadOnlyMemory<byte> frame, LinkFaults faults, CancellationToken cancellationToken)
    {
        if (_random.Chance(faults.DropFrame))
        {
            _controller.Counters.FrameDropped();
            return true;
        }

        int garbage = _random.Chance(faults.Garbage) ? _random.Next(1, faults.GarbageMaxBytes) : 0;
        int copies = _random.Chance(faults.DuplicateFrame) ? 2 : 1;
        TimeSpan delay = faults.Delay + _random.NextDuration(faults.Jitter);
        byte[] output = ArrayPool<byte>.Shared.Rent(garbage + (frame.Length * copies));
        int written = 0;
        for (int i = 0; i < garbage; i++)
        {
            output[written++] = (byte)_random.NextBits();
        }

        _controller.Counters.AddGarbage(garbage);
        for (int copy = 0; copy < copies; copy++)
        {
            written += ApplyByteFaults(frame.Span, faults, output.AsSpan(written));
        }

        if (copies > 1)
        {
            _controller.Counters.FrameDuplicated();
        }

        long due = 0;
        if (delay > TimeSpan.Zero)
        {
            _controller.Counters.FrameDelayed();
            due = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
            due = Math.Max(due, _lastDue); // never overtake an earlier frame
            _lastDue = due;
        }

        _frames++;
        bool disconnect = faults.DisconnectAfterFrames > 0 && _frames >= faults.DisconnectAfterFrames;
        var emission = new Emission(output, written, due, Chunk(written, faults), disconnect);
        await QueueAsync(emission, cancellationToken).ConfigureAwait(false);
        return !disconnect;
    }

    private Emission ApplyByteFaults(ReadOnlySpan<byte> bytes, LinkFaults faults, long due)
    {
        byte[] output = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes.Length));
        int written = ApplyByteFaults(bytes, faults, output);
        return new Emission(output, written, due, Chunk(written, faults), false);
    }

    private int ApplyByteFaults(ReadOnlySpan<byte> bytes, LinkFaults faults, Span<byte> destination)
    {
        if (faults.CorruptByte <= 0 && faults.DropByte <= 0)
        {
            bytes.CopyTo(destination);
            return bytes.Length;
        }

        int written = 0;
        int dropped = 0;
        int corrupted = 0;
        foreach (byte b in bytes)
        {
            if (_random.Chance(faults.DropByte))
            {
                dropped++;
                continue;
            }

            byte value = b;
            if (_random.Chance(faults.CorruptByte))
            {
                value ^= (byte)_random.Next(1, 255);
                corrupted++;
            }

            destination[written++] = value;
        }

        _controller.Counters.AddBytesDropped(dropped);
        _controller.Counters.AddBytesCorrupted(corrupted);
        return written;
    }

    private int[]? Chunk(int length, LinkFaults faults)
    {
        if (faults.ChunkBytes <= 0 || length <= 1)
        {
            return null;
        }

        var sizes = new List<int>();
        int left = length;
        while (left > 0)
        {
            int size = Math.Min(left, _random.Next(1, faults.ChunkBytes));
            sizes.Add(size);
            left -= size;
        }

        return sizes.Count > 1 ? [.. sizes] : null;
    }

    private ValueTask QueueAsync(Emission emission, CancellationToken cancellationToken)
    {
        if (emission.Length == 0 && !emission.Disconnect)
        {
            emission.Release();
            return default;
        }

        return _queue.Writer.WriteAsync(emission, cancellationToken);
    }

    private void Append(ReadOnlySequence<byte> buffer)
    {
        int needed = _pendingLength + (int)buffer.Length;
        if (needed > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(needed, _pending.Length * 2));
        }

        buffer.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength = needed;
    }

    /// <summary>Bytes to write (in a pooled array), when, in which chunks, and whether the link ends after them.</summary>
    private readonly record struct Emission(byte[] Buffer, int Length, long Due, int[]? Chunks, bool Disconnect)
    {
        public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);

        public static Emission Copy(ReadOnlySpan<byte> bytes, long due)
        {
            byte[] array = ArrayPool<byte>.Shared.Rent(bytes.Length);
            bytes.CopyTo(array);
            return new Emission(array, bytes.Length, due, null, false);
        }

        public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
