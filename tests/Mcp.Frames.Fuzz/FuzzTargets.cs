using System.Buffers;
using Mcp.Frames.Connections;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tests.Framing;

namespace Mcp.Frames.Fuzz;

/// <summary>
/// What the fuzzer feeds: one input, checked against exact oracles. A target returns normally when the library
/// behaved, and throws <see cref="FuzzFailure"/> (or lets the library's unexpected exception through) when it did not:
/// both are crashes to AFL. The same code replays a corpus in the unit tests (<c>FuzzCorpusTests</c>).
/// </summary>
internal static class FuzzTargets
{
    /// <summary>The targets by name, as the command line and the corpus directories name them.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["frames"] = Frames,
        ["bodies"] = Bodies,
        ["desired"] = Desired,
        ["device"] = Device,
    };

    private static readonly int[] Limits = [256, 0, 16, 65535];

    /// <summary>
    /// Starting inputs for a target, made with the library's own writers so that they follow the code: valid frames
    /// and bodies of every kind, and a few broken ones. eng/fuzz.sh gives them to afl-fuzz; the unit tests replay them.
    /// </summary>
    public static IEnumerable<byte[]> Seeds(string target)
    {
        var device = new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = 256,
            DeviceId = "sim-001",
            Firmware = new Version(1, 2, 3),
            BootId = 0xDEADBEEF,
            Modules = [new ModuleInfo(1, 0x0101, 1, "relays"), new ModuleInfo(3, 0x0300, 2, "custom")],
        };
        IFramePayload[] bodies =
        [
            device,
            new DescribePage(2, 0, [new RegisterInfo(0, RegisterAccess.Read, "setpoint"), new RegisterInfo(1, RegisterAccess.Read, "ticks")]),
            new ConfigSnapshot(7, [new ConfigEntry(0, 150), new ConfigEntry(5, -2)]),
            new ConfigSetRequest(3, 7, [new ConfigEntry(0, 150)]),
            new WriteRequest(1, 0, new[] { 1, 0 }),
            new ReadRequest(3, 0, 2),
            new SubscribeRequest(1, 0, 2, 100, SubscribeMode.OnChange),
            new DescribeRequest(3, 0),
            new HelloRequest(1, 256),
            new ConfigGetRequest(3),
            new ResetRequest(0),
            new UnsubscribeRequest(1),
            new EventPayload(1, 7, 1000, new[] { 42, -1 }),
        ];
        if (target == "device")
        {
            yield return """
                { "deviceId": "sim-001", "firmware": "1.2.3", "maxPayload": 256,
                  "modules": [
                    { "slot": 1, "type": "relay", "name": "relays", "outputs": 4 },
                    { "slot": 2, "type": "temperature", "name": "boiler" },
                    { "slot": 3, "type": "registers", "name": "custom",
                      "registers": [
                        { "address": 0, "name": "setpoint", "access": "config", "value": 100 },
                        { "address": 1, "name": "ticks", "access": "r", "behavior": { "kind": "increment", "periodMs": 100 } } ] } ],
                  "faults": { "seed": 1 } }
                """u8.ToArray();
            yield return "{ \"deviceId\": \"x\", \"modules\": [ { \"slot\": 1, \"type\": \"counter\", \"name\": \"c\", \"counters\": 300 } ] }"u8.ToArray();
            yield return "{ \"modules\": [] }"u8.ToArray();
            yield return """
                { "deviceId": "io", "modules": [
                  { "slot": 2, "type": "digital-input", "name": "in", "inputs": 2, "toggle": [ { "input": 0, "periodMs": 1000 } ] },
                  { "slot": 3, "type": "analog-input", "name": "a", "channels": [ { "name": "c", "waveform": "sine", "offset": 1, "amplitude": 2, "periodMs": 100 } ] },
                  { "slot": 6, "type": "gpio", "name": "g", "driver": "simulated", "pins": [ { "pin": 17, "mode": "output", "name": "led" } ] } ] }
                """u8.ToArray();
            yield return "{ \"deviceId\": \"x\", \"modules\": [ { \"slot\": 1, \"type\": \"nope\" } ] }"u8.ToArray();
            yield break;
        }

        if (target == "desired")
        {
            yield return "{ \"sim-001\": { \"3\": { \"0\": 150, \"5\": -2 } }, \"gw\": {} }"u8.ToArray();
            yield return "// comment\n{ \"a\": { \"255\": { \"65535\": 2147483647, }, }, }"u8.ToArray();
            yield return "{ \"a\": { \"1\": { \"0\": 1 } }, \"a\": {} }"u8.ToArray(); // a device twice
            yield return "\uFEFF{ \"a\": { \"01\": { \"0\": 1.5 } } }"u8.ToArray();
            yield return "[1, 2]"u8.ToArray();
            yield break;
        }

        if (target == "bodies")
        {
            for (int i = 0; i < bodies.Length; i++)
            {
                yield return [(byte)i, .. Write(bodies[i])];
            }

            yield return [13, 2, 1, 0, 0, 0, 2, 0, 0, 0]; // two values
            yield return [0, 1, 0, 1, 7, .. "sim"u8]; // a DeviceInfo cut short in its id
            yield break;
        }

        // Frames: a stream of valid frames of every body above, then broken variants of it.
        byte[] stream = [.. bodies.Select((b, i) => FrameWriter.ToArray((byte)(i + 1), Write(b))).SelectMany(f => f)];
        yield return [0, 1, .. stream];
        yield return [0, 2, 0x00, 0x5A, 0x5A, 0xFF, 0xFF, .. stream, 0x5A, 0x01]; // garbage, an oversize candidate, a truncated tail
        byte[] flipped = [.. stream];
        flipped[flipped.Length / 2] ^= 0x10;
        yield return [0, 3, .. flipped];
        yield return [1, 4, .. FrameWriter.ToArray(0x01, []), .. FrameWriter.ToArray(0x81, [0, 0])]; // limit 0: empty payloads only
        yield return [2, 5, .. stream.AsSpan(0, Math.Min(40, stream.Length))];
    }

    private static byte[] Write(IFramePayload body)
    {
        byte[] buffer = new byte[body.MaxLength];
        int length = body.WriteTo(buffer);
        return buffer[..length];
    }

    /// <summary>
    /// The frame parser, differentially: byte 0 picks the link's payload limit and byte 1 seeds how the rest is cut,
    /// the rest is the stream. The parser must deliver exactly the frames and counters of the naive
    /// <see cref="ReferenceParser"/> (PROTOCOL.md §1.1), parsed whole from one segment (each payload a view at its
    /// position in the input), from many segments, and fed in reads with <c>isCompleted</c> only at the end.
    /// </summary>
    public static void Frames(byte[] input)
    {
        if (input.Length < 2)
        {
            return;
        }

        int limit = Limits[input[0] % Limits.Length];
        byte[] data = input[2..];
        var cuts = new Random(input[1]);
        ReferenceParser.Result reference = ReferenceParser.Parse(data, limit, isCompleted: true);
        string[] expected = [.. reference.Frames.Select(f => f.ToString())];
        string[] expectedTexts = [.. reference.Frames.Select(f => f.Text)];
        FrameParserCounters counters = reference.Counters;
        Check(counters.SkippedBytes + counters.Oversize + counters.BadChecksum + counters.Truncated + counters.DeliveredBytes == data.Length, "the reference accounts for every byte once");

        // Whole, one segment.
        var parser = new FrameParser(limit);
        var whole = new ReadOnlySequence<byte>(data);
        var sink = new CollectingSink { Input = data };
        parser.ParseAll(ref whole, ref sink, isCompleted: true);
        Same(sink.Frames.Select(f => f.ToString()), expected, "one segment: frames and positions");
        Check(parser.Counters == counters, $"one segment: counters {parser.Counters}, reference {counters}");
        Check(whole.IsEmpty && !parser.HasPendingCandidate, "one segment: everything consumed");

        // Whole, cut into segments of 0-32 bytes.
        var chunks = new List<ReadOnlyMemory<byte>>();
        for (int at = 0; at < data.Length;)
        {
            int size = Math.Min(cuts.Next(0, 33), data.Length - at);
            chunks.Add(data.AsMemory(at, size));
            at += size;
        }

        parser = new FrameParser(limit);
        ReadOnlySequence<byte> segmented = TestSegment.Chain(chunks);
        sink = new CollectingSink();
        parser.ParseAll(ref segmented, ref sink, isCompleted: true);
        Same(sink.Texts, expectedTexts, "segments: frames");
        Check(parser.Counters == counters, $"segments: counters {parser.Counters}, reference {counters}");
        Check(segmented.IsEmpty, "segments: everything consumed");

        // Fed in reads, as a PipeReader would: what is left over is kept and the next read appended to it.
        parser = new FrameParser(limit);
        sink = new CollectingSink();
        byte[] pending = [];
        for (int at = 0; at < data.Length;)
        {
            int size = Math.Min(cuts.Next(1, 65), data.Length - at);
            pending = [.. pending, .. data.AsSpan(at, size)];
            at += size;
            var read = new ReadOnlySequence<byte>(pending);
            parser.ParseAll(ref read, ref sink, isCompleted: false);
            pending = read.ToArray();
        }

        var last = new ReadOnlySequence<byte>(pending);
        parser.ParseAll(ref last, ref sink, isCompleted: true);
        Same(sink.Texts, expectedTexts, "reads: frames");
        Check(parser.Counters == counters, $"reads: counters {parser.Counters}, reference {counters}");
        Check(last.IsEmpty, "reads: everything consumed at the end");
    }

    /// <summary>
    /// The MCP/1 body readers of both roles: byte 0 picks one, the rest is the body. A malformed body must raise
    /// <see cref="ProtocolException"/>, never another exception (PROTOCOL.md §2; issue: "never IndexOutOfRangeException").
    /// </summary>
    public static void Bodies(byte[] input)
    {
        if (input.Length < 1)
        {
            return;
        }

        byte[] body = input[1..];
        try
        {
            string? text = (input[0] % 16) switch
            {
                0 => DeviceInfo.Read(body).ToString(),
                1 => DescribePage.Read(body).ToString(),
                2 => ConfigSnapshot.Read(body).ToString(),
                3 => ConfigSetRequest.Read(body).ToString(),
                4 => WriteRequest.Read(body).ToString(),
                5 => ReadRequest.Read(body).ToString(),
                6 => SubscribeRequest.Read(body).ToString(),
                7 => DescribeRequest.Read(body).ToString(),
                8 => HelloRequest.Read(body).ToString(),
                9 => ConfigGetRequest.Read(body).ToString(),
                10 => ResetRequest.Read(body).ToString(),
                11 => UnsubscribeRequest.Read(body).ToString(),
                12 => ReadEvent(body),
                13 => ReadValues(body),
                _ => null,
            };
            Check(text is null || text.Length > 0, "a message that reads has a description");
        }
        catch (ProtocolException ex)
        {
            Check(ex.Message.Length > 0, "a protocol error says what is wrong");
        }
    }

    /// <summary>
    /// The desired-configuration reader (a file an operator edits while the gateway runs): any text must either load or
    /// raise <see cref="InvalidDataException"/> naming the source, never another exception.
    /// </summary>
    public static void Desired(byte[] input)
    {
        string text = System.Text.Encoding.UTF8.GetString(input);
        try
        {
            Devices.DesiredConfiguration loaded = Devices.DesiredConfiguration.Parse(text, "fuzz.json");
            Check(loaded is not null, "a configuration that loads is an object");
        }
        catch (InvalidDataException ex)
        {
            Check(ex.Message.StartsWith("fuzz.json: ", StringComparison.Ordinal), $"the error names the file: {ex.Message}");
        }
    }

    /// <summary>
    /// The simulated device's definition file (PROTOCOL.md aside, firmware-sim/README.md): any text must either start a
    /// device or be refused with <see cref="FirmwareSim.Definition.DefinitionException"/> naming the file and the JSON
    /// path, never another exception.
    /// </summary>
    public static void Device(byte[] input)
    {
        string text = System.Text.Encoding.UTF8.GetString(input);
        try
        {
            FirmwareSim.Definition.DeviceDefinition definition = FirmwareSim.Definition.DeviceDefinition.Parse(text, "fuzz.json");
            var options = new FirmwareSim.Hosting.SimHostOptions { Device = definition, LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance };
            FirmwareSim.Hosting.SimHost host = FirmwareSim.Hosting.SimHost.StartAsync(options).GetAwaiter().GetResult();
            Check(host.Device.BootCount > 0, "a device that starts has booted");
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (FirmwareSim.Definition.DefinitionException ex)
        {
            Check(ex.Message.StartsWith("fuzz.json: $", StringComparison.Ordinal), $"the error names the file and the JSON path: {ex.Message}");
        }
    }

    private static string ReadEvent(byte[] body)
    {
        McpEvent evt = McpEvent.Read(body);
        long sum = 0;
        for (int i = 0; i < evt.ValueCount; i++)
        {
            sum += evt[i];
        }

        return $"{evt.SubscriptionId} {evt.EventSeq} {evt.UptimeMs} {sum}";
    }

    private static string ReadValues(byte[] body)
    {
        Span<int> values = stackalloc int[body.Length > 0 ? body[0] % 8 : 0];
        Int32Values.Read(body.AsSpan(Math.Min(1, body.Length)), values, "READ response");
        return values.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Same(IEnumerable<string> actual, string[] expected, string what)
    {
        string[] got = [.. actual];
        if (!got.SequenceEqual(expected))
        {
            throw new FuzzFailure($"{what}: parser [{string.Join(", ", got)}], reference [{string.Join(", ", expected)}]");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailure(what);
        }
    }
}

/// <summary>An oracle of a fuzz target did not hold: a bug in the library (or in the oracle).</summary>
internal sealed class FuzzFailure(string message) : Exception(message);
