using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Support;

/// <summary>A frame as the raw peer received it (a copy).</summary>
public sealed record RawFrame(byte Command, byte[] Payload)
{
    /// <summary>The MCP/1 <c>seq</c> of a request.</summary>
    public byte Seq => Payload[0];

    /// <summary>The MCP/1 request body after <c>seq</c>.</summary>
    public byte[] Body => Payload[1..];
}

/// <summary>
/// The far end of a link driven by hand, with a plain <see cref="FrameParser"/> and <see cref="FrameWriter"/>: the
/// test decides exactly which frame is written when, and sees every frame the connection under test sent.
/// </summary>
public sealed class RawPeer : IAsyncDisposable
{
    private readonly IDuplexPipe _pipe;
    private readonly Channel<RawFrame> _received = Channel.CreateUnbounded<RawFrame>();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Task _readLoop;
    private int _receivedCount;

    public RawPeer(IDuplexPipe pipe, int maxPayloadLength = 65535)
    {
        _pipe = pipe;
        Parser = new FrameParser(maxPayloadLength);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public FrameParser Parser { get; }

    /// <summary>Frames received so far (including those not yet taken with <see cref="ReadFrameAsync"/>).</summary>
    public int ReceivedCount => Volatile.Read(ref _receivedCount);

    /// <summary>Frames received and not taken yet.</summary>
    public int Queued => _received.Reader.Count;

    /// <summary>The next received frame, within 10 s.</summary>
    public async Task<RawFrame> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await _received.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The raw peer received no frame within 10 s ({ReceivedCount} so far).");
        }
    }

    /// <summary>The next <paramref name="count"/> received frames.</summary>
    public async Task<List<RawFrame>> ReadFramesAsync(int count)
    {
        var frames = new List<RawFrame>(count);
        for (int i = 0; i < count; i++)
        {
            frames.Add(await ReadFrameAsync());
        }

        return frames;
    }

    public bool TryReadFrame(out RawFrame? frame) => _received.Reader.TryRead(out frame);

    /// <summary>Writes one frame and flushes.</summary>
    public Task SendAsync(byte command, params byte[] payload) => SendBytesAsync(FrameWriter.ToArray(command, payload));

    /// <summary>Answers an MCP/1 request: <c>cmd | 0x80</c>, <c>seq, status</c>, then the body.</summary>
    public Task ReplyAsync(RawFrame request, byte status, params byte[] body) =>
        SendAsync((byte)(request.Command | 0x80), [request.Seq, status, .. body]);

    /// <summary>Writes arbitrary bytes (broken frames, garbage) and flushes.</summary>
    public async Task SendBytesAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _pipe.Output.WriteAsync(bytes);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the stream towards the connection under test.</summary>
    public async Task CompleteOutputAsync(Exception? error = null)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _pipe.Output.CompleteAsync(error);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CompleteOutputAsync();
        _pipe.Input.CancelPendingRead();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task ReadLoopAsync()
    {
        PipeReader input = _pipe.Input;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (Parser.TryParse(ref buffer, out Frame frame, result.IsCompleted))
                {
                    Interlocked.Increment(ref _receivedCount);
                    _received.Writer.TryWrite(new RawFrame(frame.Command, frame.Payload.ToArray()));
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // The connection under test completed its output in an unusual way; the test sees it through its asserts.
        }
        finally
        {
            _received.Writer.TryComplete();
            await input.CompleteAsync();
        }
    }
}
