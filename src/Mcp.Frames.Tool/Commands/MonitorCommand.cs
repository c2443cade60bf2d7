using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Linking;
using Mcp.Frames.Tool.Output;
using Spectre.Console;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp monitor</c>: HELLO and DESCRIBE once, then READ every readable register of every module each
/// <c>--refresh</c>. On a terminal a Spectre.Console live table; with <c>--json</c> or redirected output, one snapshot
/// per refresh. Bounded by <c>--for</c> or <c>--snapshots</c>, else runs until Ctrl+C.
/// </summary>
internal static class MonitorCommand
{
    public static Command Create(ToolContext context)
    {
        Option<int> refresh = CliOptions.Integer("--refresh", "MS", "Read everything every MS", 10, 3_600_000, defaultValue: 1000);
        Option<TimeSpan?> duration = CliOptions.Seconds("--for", "Stop after SECONDS (default: until Ctrl+C)");
        Option<int> snapshots = CliOptions.Integer("--snapshots", "N", "Stop after N refreshes", 1, int.MaxValue);
        var command = new Command("monitor", "A live table of every module's registers, refreshing") { refresh, duration, snapshots };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, (parsed, link, cancellationToken) =>
            RunAsync(
                context,
                link,
                TimeSpan.FromMilliseconds(parsed.GetValue(refresh)),
                parsed.GetValue(duration),
                parsed.GetResult(snapshots) is null ? null : parsed.GetValue(snapshots),
                cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ToolContext context, DeviceLink link, TimeSpan refresh, TimeSpan? duration, int? limit, CancellationToken cancellationToken)
    {
        DeviceInfo device = await link.Client.HelloAsync(link.Requests, cancellationToken).ConfigureAwait(false);
        var modules = new List<WatchedModule>();
        foreach (ModuleInfo module in device.Modules)
        {
            IReadOnlyList<RegisterInfo> registers = await DescribeCommand.DescribeAsync(link, module.Slot, cancellationToken).ConfigureAwait(false);
            modules.Add(new WatchedModule(module, [.. registers.Where(r => (r.Access & (RegisterAccess.Read | RegisterAccess.Config)) != 0).OrderBy(r => r.Address)]));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d)
        {
            stop.CancelAfter(d);
        }

        var clock = Stopwatch.StartNew();
        int maxValues = Math.Clamp((link.Connection.MaxPayloadLength - 2) / 4, 1, 255);
        if (context.Output.Interactive && !context.Output.Json)
        {
            var table = BuildTable(device, modules, 0, TimeSpan.Zero);
            await context.Output.Console.Live(table).StartAsync(async live =>
            {
                await LoopAsync(link, modules, maxValues, refresh, limit, stop.Token, (n) =>
                {
                    live.UpdateTarget(BuildTable(device, modules, n, clock.Elapsed));
                    live.Refresh();
                }).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        else
        {
            await LoopAsync(link, modules, maxValues, refresh, limit, stop.Token, n =>
            {
                if (context.Output.Json)
                {
                    context.Output.Emit(ToJson(modules, n, clock.Elapsed));
                }
                else
                {
                    context.Output.Render(BuildTable(device, modules, n, clock.Elapsed));
                }
            }).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    private static async Task LoopAsync(DeviceLink link, List<WatchedModule> modules, int maxValues, TimeSpan refresh, int? limit, CancellationToken stop, Action<int> show)
    {
        for (int n = 1; limit is null || n <= limit; n++)
        {
            try
            {
                if (n > 1)
                {
                    await Task.Delay(refresh, stop).ConfigureAwait(false);
                }

                foreach (WatchedModule module in modules)
                {
                    await ReadModuleAsync(link, module, maxValues, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // --for elapsed or Ctrl+C
            }

            show(n);
        }
    }

    /// <summary>READs the module's readable registers, one READ per run of consecutive addresses.</summary>
    private static async Task ReadModuleAsync(DeviceLink link, WatchedModule module, int maxValues, CancellationToken cancellationToken)
    {
        int i = 0;
        while (i < module.Registers.Count)
        {
            int run = 1;
            while (i + run < module.Registers.Count && run < maxValues && module.Registers[i + run].Address == module.Registers[i].Address + run)
            {
                run++;
            }

            try
            {
                int[] values = await link.Client.ReadAsync(module.Info.Slot, module.Registers[i].Address, (byte)run, link.Requests, cancellationToken).ConfigureAwait(false);
                for (int k = 0; k < run; k++)
                {
                    module.Values[i + k] = values[k];
                    module.Errors[i + k] = null;
                }
            }
            catch (RemoteStatusException ex)
            {
                for (int k = 0; k < run; k++)
                {
                    module.Errors[i + k] = ex.StatusName;
                }
            }

            i += run;
        }
    }

    private static Table BuildTable(DeviceInfo device, List<WatchedModule> modules, int n, TimeSpan elapsed)
    {
        Table table = ToolOutput.NewTable("slot", "module", "register", "name", "value");
        table.Title = new TableTitle(ToolOutput.Cell(string.Create(CultureInfo.InvariantCulture, $"{device.DeviceId}: snapshot {n} at +{elapsed.TotalSeconds:0.0} s")));
        foreach (WatchedModule module in modules)
        {
            for (int i = 0; i < module.Registers.Count; i++)
            {
                RegisterInfo register = module.Registers[i];
                string value = module.Errors[i] is { } error ? $"[red]{ToolOutput.Cell(error)}[/]" : module.Values[i] is { } v ? HelloCommand.Invariant(v) : "-";
                table.AddRow(
                    i == 0 ? HelloCommand.Invariant(module.Info.Slot) : string.Empty,
                    i == 0 ? ToolOutput.Cell(module.Info.Name) : string.Empty,
                    HelloCommand.Invariant(register.Address),
                    ToolOutput.Cell(register.Name),
                    value);
            }
        }

        return table;
    }

    private static JsonObject ToJson(List<WatchedModule> modules, int n, TimeSpan elapsed)
    {
        var array = new JsonArray();
        foreach (WatchedModule module in modules)
        {
            var registers = new JsonArray();
            for (int i = 0; i < module.Registers.Count; i++)
            {
                var register = new JsonObject { ["register"] = module.Registers[i].Address, ["name"] = module.Registers[i].Name };
                if (module.Errors[i] is { } error)
                {
                    register["error"] = error;
                }
                else if (module.Values[i] is { } value)
                {
                    register["value"] = value;
                }

                registers.Add(register);
            }

            array.Add(new JsonObject { ["slot"] = module.Info.Slot, ["module"] = module.Info.Name, ["registers"] = registers });
        }

        return new JsonObject { ["type"] = "snapshot", ["n"] = n, ["elapsedMs"] = (long)elapsed.TotalMilliseconds, ["modules"] = array };
    }

    private sealed class WatchedModule(ModuleInfo info, List<RegisterInfo> registers)
    {
        public ModuleInfo Info { get; } = info;

        public List<RegisterInfo> Registers { get; } = registers;

        public int?[] Values { get; } = new int?[registers.Count];

        public string?[] Errors { get; } = new string?[registers.Count];
    }
}
