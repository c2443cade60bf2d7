using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Linking;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp ping [--count N] [--interval MS]</c>: PINGs with distinct bytes (ping number and a random run nonce), each
/// echo checked byte for byte (a mismatch is an error), RTT per ping and min/avg/max at the end.
/// </summary>
internal static class PingCommand
{
    private const int DataLength = 8;

    public static Command Create(ToolContext context)
    {
        Option<int> count = CliOptions.Integer("--count", "N", "How many PINGs", 1, 1_000_000, defaultValue: 4);
        Option<int> interval = CliOptions.Integer("--interval", "MS", "Pause between PINGs in milliseconds", 0, 3_600_000, defaultValue: 1000);
        var command = new Command("ping", "Send PINGs with distinct bytes, check each echo, print RTTs and min/avg/max") { count, interval };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, (parsed, link, cancellationToken) =>
            RunAsync(context, link, parsed.GetValue(count), TimeSpan.FromMilliseconds(parsed.GetValue(interval)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ToolContext context, DeviceLink link, int count, TimeSpan interval, CancellationToken cancellationToken)
    {
        uint nonce = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
        var rtts = new List<double>(count);
        int linkFailures = 0;
        int statusFailures = 0;
        if (!context.Output.Json)
        {
            context.Output.Line($"PING {link.Name}: {DataLength} data bytes");
        }

        for (int n = 1; n <= count; n++)
        {
            if (n > 1 && interval > TimeSpan.Zero)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }

            byte[] data = new byte[DataLength];
            BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)n);
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), nonce);
            long start = Stopwatch.GetTimestamp();
            string? failure = null;
            try
            {
                using Response echo = await link.Connection.SendRequestAsync(McpCommand.Ping, data, link.Requests, cancellationToken).ConfigureAwait(false);
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                failure = CompareEcho(data, echo.Body.Span);
                if (failure is null)
                {
                    rtts.Add(ms);
                    Report(context, n, ms, null, null);
                    continue;
                }

                linkFailures++;
                Report(context, n, ms, "mismatch", failure);
            }
            catch (RequestTimeoutException ex)
            {
                linkFailures++;
                Report(context, n, null, "timeout", $"no answer within {ex.Timeout.TotalMilliseconds:0} ms");
            }
            catch (RemoteStatusException ex)
            {
                statusFailures++;
                Report(context, n, null, "status", $"the device answered {ex.StatusName}", ex.StatusName);
            }
        }

        int failed = linkFailures + statusFailures;
        if (context.Output.Json)
        {
            var summary = new JsonObject { ["type"] = "summary", ["sent"] = count, ["echoed"] = rtts.Count, ["failed"] = failed };
            if (rtts.Count > 0)
            {
                summary["minMs"] = Round(rtts.Min());
                summary["avgMs"] = Round(rtts.Average());
                summary["maxMs"] = Round(rtts.Max());
            }

            context.Output.Emit(summary);
        }
        else
        {
            string stats = rtts.Count == 0 ? "no RTT" : string.Create(CultureInfo.InvariantCulture, $"rtt min/avg/max = {rtts.Min():0.000}/{rtts.Average():0.000}/{rtts.Max():0.000} ms");
            context.Output.Line($"--- {count} sent, {rtts.Count} echoed, {failed} failed; {stats}");
        }

        if (failed == 0)
        {
            return ExitCodes.Ok;
        }

        context.Output.Error.WriteLine($"mcp: {failed} of {count} PINGs failed");
        return linkFailures > 0 ? ExitCodes.LinkFailure : ExitCodes.DeviceError;
    }

    /// <summary>The first difference between what was sent and the echo, or <see langword="null"/> when they match.</summary>
    internal static string? CompareEcho(ReadOnlySpan<byte> sent, ReadOnlySpan<byte> echo)
    {
        for (int i = 0; i < Math.Min(sent.Length, echo.Length); i++)
        {
            if (sent[i] != echo[i])
            {
                return $"the echo differs at byte {i}: sent 0x{sent[i]:X2}, got 0x{echo[i]:X2}";
            }
        }

        return sent.Length == echo.Length ? null : $"the echo has {echo.Length} bytes, {sent.Length} were sent";
    }

    private static void Report(ToolContext context, int n, double? ms, string? error, string? message, string? status = null)
    {
        if (context.Output.Json)
        {
            var ping = new JsonObject { ["type"] = "ping", ["n"] = n, ["bytes"] = DataLength, ["ok"] = error is null };
            if (ms is { } rtt)
            {
                ping["rttMs"] = Round(rtt);
            }

            if (error is not null)
            {
                ping["error"] = error;
                ping["message"] = message;
            }

            if (status is not null)
            {
                ping["status"] = status;
            }

            context.Output.Emit(ping);
            return;
        }

        context.Output.Line(error is null
            ? string.Create(CultureInfo.InvariantCulture, $"ping {n}: {DataLength} bytes echoed in {ms:0.000} ms")
            : $"ping {n}: {message}");
    }

    private static double Round(double ms) => Math.Round(ms, 3);
}
