using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The DESCRIBE response body: entries <c>first</c>…<c>first+n-1</c> of the module's <c>total</c> registers.</summary>
/// <param name="Total">How many registers the module has.</param>
/// <param name="First">The index of the first entry in this page.</param>
/// <param name="Registers">The entries.</param>
public sealed record DescribePage(byte Total, byte First, IReadOnlyList<RegisterInfo> Registers) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength
    {
        get
        {
            int length = 3;
            foreach (RegisterInfo register in Registers)
            {
                length += EntryLength(register);
            }

            return length;
        }
    }

    /// <summary>The bytes one entry takes in a page.</summary>
    /// <param name="register">The entry.</param>
    /// <returns>Its length.</returns>
    public static int EntryLength(RegisterInfo register)
    {
        ArgumentNullException.ThrowIfNull(register);
        return 2 + 1 + McpBodyWriter.Str8Length(register.Name);
    }

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq, status</c>.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ProtocolException">The body is malformed.</exception>
    public static DescribePage Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "DESCRIBE response");
        byte total = reader.ReadByte("total");
        byte first = reader.ReadByte("first");
        int n = reader.ReadByte("n");
        if (first + n > total)
        {
            throw reader.Invalid("n", $"claims entries {first}..{first + n - 1} of only {total}");
        }

        var registers = new RegisterInfo[n];
        for (int i = 0; i < n; i++)
        {
            registers[i] = new RegisterInfo(
                reader.ReadUInt16($"entries[{i}].register"),
                (RegisterAccess)reader.ReadByte($"entries[{i}].access"),
                reader.ReadStr8($"entries[{i}].name"));
        }

        reader.EnsureEnd();
        return new DescribePage(total, first, registers);
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(Total);
        writer.WriteByte(First);
        writer.WriteByte(checked((byte)Registers.Count));
        foreach (RegisterInfo register in Registers)
        {
            writer.WriteUInt16(register.Address);
            writer.WriteByte((byte)register.Access);
            writer.WriteStr8(register.Name);
        }

        return writer.Written;
    }
}
