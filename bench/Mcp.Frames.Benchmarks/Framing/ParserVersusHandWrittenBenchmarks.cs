using System.Buffers;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>
/// The parser beside what users write without this library: a <see cref="Stream"/> + <see cref="BinaryReader"/> loop
/// that hunts for the header byte by byte, allocates a <c>byte[]</c> per payload and checks the XOR. Both parse the
/// same <see cref="BenchFrames.Count"/> valid frames per invocation; Mean is per frame.
/// </summary>
[MemoryDiagnoser]
public class ParserVersusHandWrittenBenchmarks
{
    private byte[] _buffer = [];
    private MemoryStream _stream = new();
    private BinaryReader _reader = new(Stream.Null);
    private readonly FrameParser _parser = new();

    [Params(8, 256)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = BenchFrames.Build(PayloadLength);
        _stream = new MemoryStream(_buffer, writable: false);
        _reader = new BinaryReader(_stream);
        if (HandWrittenStreamParser() != McpFramesParser())
        {
            throw new InvalidOperationException("the two parsers disagree on the frames");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BenchFrames.Count, Description = "hand-written Stream/BinaryReader, byte[] per frame")]
    public long HandWrittenStreamParser()
    {
        _stream.Position = 0;
        BinaryReader reader = _reader;
        long checksum = 0;
        int frames = 0;
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0)
            {
                break;
            }

            if (b != FrameFormat.Header)
            {
                continue;
            }

            byte command = reader.ReadByte();
            ushort length = reader.ReadUInt16();
            if (length > FrameFormat.DefaultMaxPayloadLength)
            {
                continue;
            }

            byte[] payload = reader.ReadBytes(length);
            byte check = reader.ReadByte();
            int x = FrameFormat.Header ^ command ^ (length & 0xFF) ^ (length >> 8);
            foreach (byte p in payload)
            {
                x ^= p;
            }

            if ((byte)x == check)
            {
                checksum += command + payload.Length;
                frames++;
            }
        }

        return checksum + frames;
    }

    [Benchmark(OperationsPerInvoke = BenchFrames.Count, Description = "Mcp.Frames FrameParser, single segment")]
    public long McpFramesParser()
    {
        var buffer = new ReadOnlySequence<byte>(_buffer);
        var sink = default(CountingSink);
        int frames = _parser.ParseAll(ref buffer, ref sink);
        return sink.Checksum + frames;
    }

}
