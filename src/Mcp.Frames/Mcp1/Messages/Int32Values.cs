using System.Buffers.Binary;
using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>A body of consecutive <c>i32</c> values (the READ response), and the helpers to read one.</summary>
/// <param name="values">The values.</param>
public readonly struct Int32Values(ReadOnlyMemory<int> values) : IFramePayload
{
    /// <summary>The values.</summary>
    public ReadOnlyMemory<int> Values { get; } = values;

    /// <inheritdoc />
    public int MaxLength => Values.Length * 4;

    /// <summary>Reads exactly <paramref name="destination"/>.Length values from a body.</summary>
    /// <param name="body">The body.</param>
    /// <param name="destination">Where the values go.</param>
    /// <param name="message">The message's name for errors.</param>
    /// <exception cref="ProtocolException">The body does not hold exactly that many values.</exception>
    public static void Read(ReadOnlySpan<byte> body, Span<int> destination, string message)
    {
        if (body.Length != destination.Length * 4)
        {
            throw new ProtocolException($"{message}: expected {destination.Length} i32 values ({destination.Length * 4} bytes), got {body.Length} bytes.");
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadInt32LittleEndian(body.Slice(i * 4));
        }
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        ReadOnlySpan<int> values = Values.Span;
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(i * 4), values[i]);
        }

        return values.Length * 4;
    }
}
