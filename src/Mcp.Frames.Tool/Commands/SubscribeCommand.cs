using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Linking;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp subscribe</c>: SUBSCRIBE, then every EVENT as it comes and every gap in <c>eventSeq</c> (lost events), until
/// <c>--events N</c>, <c>--for SECONDS</c>, Ctrl+C or the link ends; then UNSUBSCRIBE and a summary.
/// </summary>
internal static class SubscribeCommand
{
    public static Command Create(ToolContext context)
    {
        Option<int> slot = CliOptions.Integer("--slot", "N", "The module's slot", 0, 255, required: true);
        Option<int> register = CliOptions.Integer("--register", "R", "The first register", 0, ushort.MaxValue, required: true);
        Option<int> count = CliOptions.Integer("--count", "C", "How many consecutive registers", 1, 255, defaultValue: 1);
        Option<int> period = CliOptions.Integer("--period", "MS", "Publish every MS (with --on-change: check every MS)", SubscribeRequest.MinPeriodMs, ushort.MaxValue, defaultValue: 1000);
        var onChange = new Option<bool>("--on-change") { Description = "Publish only when a value changed" };
        Option<int> events = CliOptions.Integer("--events", "N", "Stop after N events", 1, int.MaxValue);
        Option<TimeSpan?> duration = CliOptions.Seconds("--for", "Stop after SECONDS");
        var command = new Command("subscribe", "Subscribe to registers and print events as they come, and lost events") { slot, register, count, period, onChange, events, duration };
        context.Link.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(events) is not null && result.GetResult(duration) is not null)
            {
                result.AddError("--events and --for cannot be used together; give one (or neither, to run until Ctrl+C).");
            }
        });
        context.SetDeviceAction(command, (parsed, link, cancellationToken) =>
        {
            var request = new SubscribeRequest(
                (byte)parsed.GetValue(slot),
                (ushort)parsed.GetValue(register),
                (byte)parsed.GetValue(count),
                (ushort)parsed.GetValue(period),
                parsed.GetValue(onChange) ? SubscribeMode.OnChange : SubscribeMode.Periodic);
            int? limit = parsed.GetResult(events) is null ? null : parsed.GetValue(events);
            return RunAsync(context, link, request, limit, parsed.GetValue(duration), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(ToolContext context, DeviceLink link, SubscribeRequest request, int? limit, TimeSpan? duration, CancellationToken cancellationToken)
    {
        McpSubscription subscription = await link.Client.SubscribeAsync(request, options: link.Requests, cancellationToken: cancellationToken).ConfigureAwait(false);
        string mode = request.Mode == SubscribeMode.OnChange ? "on change, checked" : "periodic,";
        if (context.Output.Json)
        {
            context.Output.Emit(new JsonObject
            {
                ["type"] = "subscribed",
                ["subId"] = subscription.SubscriptionId,
                ["slot"] = request.Slot,
                ["register"] = request.Register,
                ["count"] = request.Count,
                ["periodMs"] = request.PeriodMs,
                ["mode"] = request.Mode == SubscribeMode.OnChange ? "on-change" : "periodic",
            });
        }
        else
        {
            context.Output.Line($"subscribed: subId {subscription.SubscriptionId}, slot {request.Slot} registers {request.Register}-{request.Register + request.Count - 1}, {mode} every {request.PeriodMs} ms");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d);
        }

        Exception? linkError = null;
        bool reachedLimit = false;
        try
        {
            long received = 0;
            await foreach (McpEvent evt in subscription.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                Print(context, evt);
                if (++received >= limit)
                {
                    reachedLimit = true;
                    break;
                }
            }

            if (!reachedLimit)
            {
                linkError = new TransportException($"{link.Name}: the link ended while subscribed.");
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // --for elapsed, or Ctrl+C: a normal end.
        }
        catch (FrameConnectionException ex)
        {
            linkError = ex; // the queue completes with the connection's error when the link goes down
        }

        // UNSUBSCRIBE while the link is up (errors are ignored: the device forgets subscriptions with the link).
        await subscription.DisposeAsync().ConfigureAwait(false);
        if (context.Output.Json)
        {
            context.Output.Emit(new JsonObject { ["type"] = "summary", ["received"] = subscription.Received, ["lost"] = subscription.LostEvents, ["dropped"] = subscription.Dropped });
        }
        else
        {
            context.Output.Line($"--- {subscription.Received} events received, {subscription.LostEvents} lost (eventSeq gaps), {subscription.Dropped} dropped by this tool's queue");
        }

        if (linkError is not null)
        {
            throw linkError;
        }

        return ExitCodes.Ok;
    }

    private static void Print(ToolContext context, McpEvent evt)
    {
        if (context.Output.Json)
        {
            context.Output.Emit(new JsonObject
            {
                ["type"] = "event",
                ["subId"] = evt.SubscriptionId,
                ["eventSeq"] = evt.EventSeq,
                ["uptimeMs"] = evt.UptimeMs,
                ["values"] = ReadWriteCommands.ToArray(evt.ToArray()),
                ["lostBefore"] = evt.LostBefore,
            });
            return;
        }

        if (evt.LostBefore > 0)
        {
            context.Output.Line($"lost {evt.LostBefore} event{(evt.LostBefore == 1 ? "" : "s")} before eventSeq {evt.EventSeq}");
        }

        context.Output.Line($"event {evt.EventSeq} at uptime {evt.UptimeMs} ms: {string.Join(' ', evt.ToArray())}");
    }
}
