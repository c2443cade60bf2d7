namespace Mcp.Frames.Mcp1;

/// <summary>The standard MCP/1 command ids (PROTOCOL.md §2.3) and the command class ranges (§2.1).</summary>
public static class McpCommand
{
    /// <summary>HELLO: opens a session.</summary>
    public const byte Hello = 0x01;

    /// <summary>PING: the heartbeat; echoes its body.</summary>
    public const byte Ping = 0x02;

    /// <summary>RESET: restarts the device.</summary>
    public const byte Reset = 0x03;

    /// <summary>DESCRIBE: lists a module's registers, paged.</summary>
    public const byte Describe = 0x05;

    /// <summary>READ: reads live registers.</summary>
    public const byte Read = 0x10;

    /// <summary>WRITE: writes live registers, all or nothing.</summary>
    public const byte Write = 0x11;

    /// <summary>SUBSCRIBE: asks for EVENTs.</summary>
    public const byte Subscribe = 0x20;

    /// <summary>UNSUBSCRIBE: stops a subscription.</summary>
    public const byte Unsubscribe = 0x21;

    /// <summary>CONFIG_GET: reads a module's persisted configuration.</summary>
    public const byte ConfigGet = 0x30;

    /// <summary>CONFIG_SET: changes a module's persisted configuration, optimistically versioned.</summary>
    public const byte ConfigSet = 0x31;

    /// <summary>EVENT: one-way, device to subscriber.</summary>
    public const byte Event = 0x40;

    /// <summary>The bit that marks a response: response cmd = request cmd | 0x80.</summary>
    public const byte ResponseBit = 0x80;

    /// <summary>Whether a command is a request (0x00–0x3F, or vendor-specific 0x50–0x7F).</summary>
    /// <param name="command">The command byte.</param>
    /// <returns><see langword="true"/> for requests.</returns>
    public static bool IsRequest(byte command) => command < 0x40 || (command >= 0x50 && command < 0x80);

    /// <summary>Whether a command is one-way (0x40–0x4F).</summary>
    /// <param name="command">The command byte.</param>
    /// <returns><see langword="true"/> for one-way messages.</returns>
    public static bool IsOneWay(byte command) => command >= 0x40 && command < 0x50;

    /// <summary>Whether a command is a response (0x80–0xFF).</summary>
    /// <param name="command">The command byte.</param>
    /// <returns><see langword="true"/> for responses.</returns>
    public static bool IsResponse(byte command) => command >= ResponseBit;

    /// <summary>A readable name for a command, such as <c>READ</c> or <c>0x55</c>.</summary>
    /// <param name="command">The command byte.</param>
    /// <returns>Its name (responses get a <c>-RESP</c> suffix).</returns>
    public static string GetName(byte command)
    {
        string? name = (command & 0x7F) switch
        {
            Hello => "HELLO",
            Ping => "PING",
            Reset => "RESET",
            Describe => "DESCRIBE",
            Read => "READ",
            Write => "WRITE",
            Subscribe => "SUBSCRIBE",
            Unsubscribe => "UNSUBSCRIBE",
            ConfigGet => "CONFIG_GET",
            ConfigSet => "CONFIG_SET",
            Event => "EVENT",
            _ => null,
        };
        name ??= $"0x{command & 0x7F:X2}";
        return IsResponse(command) ? name + "-RESP" : name;
    }
}
