using System.Buffers;
using System.IO.Pipelines;

namespace Mcp.Frames.Tests.Support;

/// <summary>What one direction of a <see cref="FaultyDuplexPipe"/> does to the bytes passing through it.</summary>
public sealed record FaultyLinkOptions
{
    /// <summary>Chance per byte that it is lost.</summary>
    public double DropByte { get; init; }

    /// <summary>Chance per byte that one of its bits is flipped.</summary>
    public double FlipBit { get; init; }

    /// <summary>Chance per byte that the run of bytes just written (1 to <see cref="MaxDuplicateRun"/>) is written again.</summary>
    public double DuplicateRun { get; init; }

    /// <summary>The longest duplicated run.</summary>
    public int MaxDuplicateRun { get; init; } = 8;

    /// <summary>Chance per write of the sender (usually one or more whole frames) that the whole write arrives twice.</summary>
    public double DuplicateWrite { get; init; }

    /// <summary>Writes are split into chunks of 1 to this many bytes, each flushed on its own.</summary>
    public int MaxChunk { get; init; } = int.MaxValue;

    /// <summary>Chance per chunk that the pump yields (1 to 3 times) before passing it on: delays without a clock.</summary>
    public double Yield { get; init; }

    /// <summary>
    /// Every this many writes (the first one after <see cref="HoldEvery"/> / 2), the stream stops for
    /// <see cref="HoldFor"/> on the link's clock before the write goes on (everything behind it waits too: a stream
    /// keeps its order). With a hold longer than a request timeout, answers arrive after their request gave up. 0: never.
    /// </summary>
    public int HoldEvery { get; init; }

    /// <summary>How long a hold lasts, on the link's clock (the test's fake clock).</summary>
    public TimeSpan HoldFor { get; init; }

    /// <summary>A link that passes bytes unchanged.</summary>
    public static FaultyLinkOptions Clean { get; } = new();
}

/// <summary>What one direction of a <see cref="FaultyDuplexPipe"/> did.</summary>
public sealed class FaultyLinkStats
{
    internal long BytesInField;
    internal long BytesOutField;
    internal long DroppedField;
    internal long FlippedField;
    internal long DuplicatedRunsField;
    internal long DuplicatedWritesField;
    internal long ChunksField;
    internal long HeldField;

    public long BytesIn => Volatile.Read(ref BytesInField);

    public long BytesOut => Volatile.Read(ref BytesOutField);

    public long Dropped => Volatile.Read(ref DroppedField);

    public long Flipped => Volatile.Read(ref FlippedField);

    public long DuplicatedRuns => Volatile.Read(ref DuplicatedRunsField);

    public long DuplicatedWrites => Volatile.Read(ref DuplicatedWritesField);

    public long Chunks => Volatile.Read(ref ChunksField);

    public long Held => Volatile.Read(ref HeldField);

    public override string ToString() =>
        $"in {BytesIn} B, out {BytesOut} B, dropped {Dropped} B, flipped {Flipped} bits, duplicated {DuplicatedRuns} runs and {DuplicatedWrites} writes, {Chunks} chunks, {Held} holds";
}

/// <summary>
/// A seeded, faulty in-memory link between two ends: per direction a pump with its own <see cref="System.Random"/>
/// drops bytes, flips bits, duplicates byte runs and whole writes, splits writes into small chunks and delays them by
/// yielding. The byte order is kept (it is a stream); the same seed gives the same faults for the same bytes.
/// </summary>
public sealed class FaultyDuplexPipe : IAsyncDisposable
{
    private readonly Pump _aToB;
    private readonly Pump _bToA;

    /// <param name="seed">Seeds both directions' faults.</param>
    /// <param name="aToB">What happens to bytes from A to B.</param>
    /// <param name="bToA">What happens to bytes from B to A.</param>
    /// <param name="clock">The clock of <see cref="FaultyLinkOptions.Hold"/>s (the system clock by default).</param>
    public FaultyDuplexPipe(int seed, FaultyLinkOptions aToB, FaultyLinkOptions bToA, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var fromA = new Pipe();
        var toB = new Pipe();
        var fromB = new Pipe();
        var toA = new Pipe();
        A = new TestDuplexPipe(toA.Reader, fromA.Writer);
        B = new TestDuplexPipe(toB.Reader, fromB.Writer);
        _aToB = new Pump(fromA.Reader, toB.Writer, aToB, new Random(seed), clock);
        _bToA = new Pump(fromB.Reader, toA.Writer, bToA, new Random(unchecked((seed * 7919) + 1)), clock);
    }

    /// <summary>The first end (usually the gateway).</summary>
    public TestDuplexPipe A { get; }

    /// <summary>The second end (usually the device).</summary>
    public TestDuplexPipe B { get; }

    public FaultyLinkStats AToB => _aToB.Stats;

    public FaultyLinkStats BToA => _bToA.Stats;

    public async ValueTask DisposeAsync() => await Task.WhenAll(_aToB.StopAsync(), _bToA.StopAsync()).WaitAsync(TimeSpan.FromSeconds(10));

    private sealed class Pump
    {
        private readonly PipeReader _source;
        private readonly PipeWriter _destination;
        private readonly FaultyLinkOptions _options;
        private readonly Random _random;
        private readonly Task _loop;
        private readonly List<byte> _out = new(4096);
        private readonly TimeProvider _clock;
        private readonly CancellationTokenSource _stop = new();
        private long _writes;

        public Pump(PipeReader source, PipeWriter destination, FaultyLinkOptions options, Random random, TimeProvider clock)
        {
            _clock = clock;
            _source = source;
            _destination = destination;
            _options = options;
            _random = random;
            _loop = Task.Run(RunAsync);
        }

        public FaultyLinkStats Stats { get; } = new();

        public Task StopAsync()
        {
            _stop.Cancel(); // ends a hold
            _source.CancelPendingRead();
            return _loop;
        }

        private async Task RunAsync()
        {
            Exception? error = null;
            try
            {
                while (true)
                {
                    ReadResult result = await _source.ReadAsync();
                    if (result.IsCanceled)
                    {
                        break;
                    }

                    Mangle(result.Buffer);
                    _source.AdvanceTo(result.Buffer.End);
                    if (!await ForwardAsync())
                    {
                        break; // the receiving end stopped reading
                    }

                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
            {
                error = ex;
            }
            finally
            {
                await _source.CompleteAsync();
                await _destination.CompleteAsync(error);
            }
        }

        private void Mangle(ReadOnlySequence<byte> buffer)
        {
            int writeStart = _out.Count;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                foreach (byte original in segment.Span)
                {
                    Stats.BytesInField++;
                    if (_random.NextDouble() < _options.DropByte)
                    {
                        Stats.DroppedField++;
                        continue;
                    }

                    byte b = original;
                    if (_random.NextDouble() < _options.FlipBit)
                    {
                        b ^= (byte)(1 << _random.Next(8));
                        Stats.FlippedField++;
                    }

                    _out.Add(b);
                    if (_random.NextDouble() < _options.DuplicateRun)
                    {
                        int run = Math.Min(_random.Next(1, _options.MaxDuplicateRun + 1), _out.Count - writeStart);
                        _out.AddRange(_out.GetRange(_out.Count - run, run));
                        Stats.DuplicatedRunsField++;
                    }
                }
            }

            if (_out.Count > writeStart && _random.NextDouble() < _options.DuplicateWrite)
            {
                _out.AddRange(_out.GetRange(writeStart, _out.Count - writeStart));
                Stats.DuplicatedWritesField++;
            }
        }

        private async ValueTask<bool> ForwardAsync()
        {
            byte[] bytes = [.. _out];
            _out.Clear();
            if (bytes.Length > 0 && _options.HoldEvery > 0 && ++_writes % _options.HoldEvery == _options.HoldEvery / 2)
            {
                Stats.HeldField++;
                await Task.Delay(_options.HoldFor, _clock, _stop.Token);
            }

            int offset = 0;
            while (offset < bytes.Length)
            {
                int chunk = Math.Min(bytes.Length - offset, _options.MaxChunk == int.MaxValue ? int.MaxValue : _random.Next(1, _options.MaxChunk + 1));
                if (_options.Yield > 0 && _random.NextDouble() < _options.Yield)
                {
                    int yields = _random.Next(1, 4);
                    for (int i = 0; i < yields; i++)
                    {
                        await Task.Yield();
                    }
                }

                FlushResult flushed = await _destination.WriteAsync(bytes.AsMemory(offset, chunk));
                Stats.ChunksField++;
                Stats.BytesOutField += chunk;
                offset += chunk;
                if (flushed.IsCompleted)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
