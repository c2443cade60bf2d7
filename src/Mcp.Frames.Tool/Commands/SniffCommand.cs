using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Decoding;
using Mcp.Frames.Tool.Linking;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp sniff</c>: reads the link with the library's <see cref="FrameReader"/> (no connection, no matching), prints
/// every frame received, decoded where MCP/1 knows it, and the receiver counters at the end. To make the device talk
/// it can send HELLO, PINGs or a SUBSCRIBE (printed as <c>tx</c>). Bounded by <c>--for</c> or <c>--frames</c>.
/// </summary>
internal static class SniffCommand
{
    public static Command Create(ToolContext context)
    {
        var hello = new Option<bool>("--hello") { Description = "Send HELLO first" };
        Option<int> pings = CliOptions.Integer("--ping", "N", "Send N PINGs (every --interval)", 1, 1_000_000);
        Option<int> interval = CliOptions.Integer("--interval", "MS", "Pause between PINGs", 0, 3_600_000, defaultValue: 1000);
        var subscribe = new Option<SubscribeRequest?>("--subscribe")
        {
            HelpName = "SLOT:REG[:COUNT]",
            Description = "Send a SUBSCRIBE for COUNT (default 1) registers from REG of SLOT (every --period)",
            CustomParser = result => ParseSubscription(result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty, result.AddError),
        };
        Option<int> period = CliOptions.Integer("--period", "MS", "The --subscribe period", SubscribeRequest.MinPeriodMs, ushort.MaxValue, defaultValue: 1000);
        var onChange = new Option<bool>("--on-change") { Description = "The --subscribe publishes only changes" };
        Option<TimeSpan?> duration = CliOptions.Seconds("--for", "Stop after SECONDS");
        Option<int> frames = CliOptions.Integer("--frames", "N", "Stop after N received frames", 1, int.MaxValue);
        Option<int> max = CliOptions.Integer("--max-payload", "N", "The receiver's payload limit (PROTOCOL.md §1.1 rule 2)", 0, FrameFormat.AbsoluteMaxPayloadLength, defaultValue: FrameFormat.DefaultMaxPayloadLength);
        var command = new Command("sniff", "Print every frame received, decoded where MCP/1 knows it, and the receiver counters") { hello, pings, interval, subscribe, period, onChange, duration, frames, max };
        context.Link.AddTo(command);
        context.SetAction(command, async (parsed, cancellationToken) =>
        {
            var stimulus = new Stimulus(
                parsed.GetValue(hello),
                parsed.GetResult(pings) is null ? 0 : parsed.GetValue(pings),
                TimeSpan.FromMilliseconds(parsed.GetValue(interval)),
                parsed.GetValue(subscribe) is { } s ? s with { PeriodMs = (ushort)parsed.GetValue(period), Mode = parsed.GetValue(onChange) ? SubscribeMode.OnChange : SubscribeMode.Periodic } : null);
            ITransport transport = await DeviceLink.ConnectAsync(context.Link.Read(parsed), cancellationToken).ConfigureAwait(false);
            await using (transport.ConfigureAwait(false))
            {
                return await RunAsync(
                    context,
                    transport,
                    stimulus,
                    parsed.GetValue(duration),
                    parsed.GetResult(frames) is null ? null : parsed.GetValue(frames),
                    parsed.GetValue(max),
                    cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    internal static SubscribeRequest? ParseSubscription(string text, Action<string> error)
    {
        string[] parts = text.Split(':');
        long count = 1;
        if (parts.Length is < 2 or > 3
            || !CliNumbers.TryParse(parts[0], 0, 255, out long slot, out _)
            || !CliNumbers.TryParse(parts[1], 0, ushort.MaxValue, out long register, out _)
            || (parts.Length == 3 && !CliNumbers.TryParse(parts[2], 1, 255, out count, out _)))
        {
            error($"--subscribe: '{text}' is not SLOT:REG[:COUNT] (such as 4:0 or 1:0:4; slot 0-255, register 0-65535, count 1-255).");
            return null;
        }

        return new SubscribeRequest((byte)slot, (ushort)register, (byte)count, 1000, SubscribeMode.Periodic);
    }

    private static async Task<int> RunAsync(ToolContext context, ITransport transport, Stimulus stimulus, TimeSpan? duration, int? limit, int maxPayload, CancellationToken cancellationToken)
    {
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d);
        }

        if (!context.Output.Json)
        {
            context.Output.Line($"sniffing {transport.Name} (receiver limit {maxPayload} bytes{(transport.StallTimeout is { } stall ? $", stall recovery after {stall.TotalMilliseconds:0} ms" : string.Empty)})");
        }

        void Print(string direction, byte command, ReadOnlySpan<byte> payload)
        {
            double ms = clock.Elapsed.TotalMilliseconds;
            lock (gate)
            {
                if (context.Output.Json)
                {
                    JsonObject frame = FrameDescription.ToJson(command, payload);
                    frame.Insert(0, "type", "frame");
                    frame.Insert(1, "dir", direction);
                    frame.Insert(2, "timeMs", Math.Round(ms, 3));
                    context.Output.Emit(frame);
                }
                else
                {
                    context.Output.Line(string.Create(CultureInfo.InvariantCulture, $"{direction} {ms,10:0.000} ms  {FrameDescription.ToLine(command, payload)}"));
                }
            }
        }

        var parser = new FrameParser(maxPayload);
        var reader = new FrameReader(transport.Input, parser, new FrameReaderOptions { StallTimeout = transport.StallTimeout });
        Task sending = SendAsync(transport, stimulus, Print, stop.Token);
        bool linkEnded = false;
        int received = 0;
        try
        {
            await foreach (Frame frame in reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                Print("rx", frame.Command, frame.Payload.Span);
                if (++received >= limit)
                {
                    break;
                }
            }

            linkEnded = received < limit || limit is null;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // --for elapsed or Ctrl+C.
        }
        catch (IOException)
        {
            linkEnded = true; // the transport completes its input with the reason when the link goes down
        }

        await stop.CancelAsync().ConfigureAwait(false);
        Exception? sendError = null;
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            sendError = ex; // writing to a link that went down
        }

        PrintCounters(context, parser.Counters);
        if (linkEnded || sendError is not null)
        {
            throw new TransportException($"{transport.Name}: the link ended while sniffing ({received} frames received){(sendError is null ? "" : $": {sendError.Message}")}.", sendError);
        }

        return ExitCodes.Ok;
    }

    private static async Task SendAsync(ITransport transport, Stimulus stimulus, Action<string, byte, ReadOnlySpan<byte>> print, CancellationToken cancellationToken)
    {
        byte seq = 0;
        async Task SendRequestAsync(byte command, byte[] body)
        {
            byte[] payload = [seq++, .. body];
            FrameWriter.Write(transport.Output, command, payload, FrameFormat.AbsoluteMaxPayloadLength);
            print("tx", command, payload);
            await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (stimulus.Hello)
        {
            byte[] hello = new byte[3];
            new HelloRequest(1, FrameFormat.DefaultMaxPayloadLength).WriteTo(hello);
            await SendRequestAsync(McpCommand.Hello, hello).ConfigureAwait(false);
        }

        if (stimulus.Subscribe is { } subscribe)
        {
            byte[] body = new byte[subscribe.MaxLength];
            await SendRequestAsync(McpCommand.Subscribe, body[..subscribe.WriteTo(body)]).ConfigureAwait(false);
        }

        for (int n = 1; n <= stimulus.Pings; n++)
        {
            if (n > 1 && stimulus.Interval > TimeSpan.Zero)
            {
                await Task.Delay(stimulus.Interval, cancellationToken).ConfigureAwait(false);
            }

            byte[] data = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(data, n);
            await SendRequestAsync(McpCommand.Ping, data).ConfigureAwait(false);
        }
    }

    private static void PrintCounters(ToolContext context, FrameParserCounters counters)
    {
        if (context.Output.Json)
        {
            context.Output.Emit(new JsonObject
            {
                ["type"] = "counters",
                ["delivered"] = counters.Delivered,
                ["deliveredBytes"] = counters.DeliveredBytes,
                ["skippedBytes"] = counters.SkippedBytes,
                ["oversize"] = counters.Oversize,
                ["badChecksum"] = counters.BadChecksum,
                ["truncated"] = counters.Truncated,
                ["stalled"] = counters.Stalled,
            });
            return;
        }

        context.Output.Line($"--- receiver counters: delivered {counters.Delivered} frames ({counters.DeliveredBytes} bytes), skipped {counters.SkippedBytes} bytes, oversize {counters.Oversize}, bad checksum {counters.BadChecksum}, truncated {counters.Truncated}, stalled {counters.Stalled}");
    }

    private sealed record Stimulus(bool Hello, int Pings, TimeSpan Interval, SubscribeRequest? Subscribe);
}
