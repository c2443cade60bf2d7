using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Output;
using Spectre.Console;

namespace Mcp.Frames.Tool.Commands;

/// <summary><c>mcp hello</c>: opens a session (HELLO) and prints the device and its modules.</summary>
internal static class HelloCommand
{
    public static Command Create(ToolContext context)
    {
        var command = new Command("hello", "Open a session (HELLO): the device's identity, firmware, payload limit, boot id and modules");
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (_, link, cancellationToken) =>
        {
            DeviceInfo device = await link.Client.HelloAsync(link.Requests, cancellationToken).ConfigureAwait(false);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject
                {
                    ["type"] = "device",
                    ["link"] = link.Name,
                    ["deviceId"] = device.DeviceId,
                    ["firmware"] = device.Firmware.ToString(),
                    ["protoVersion"] = device.ProtocolVersion,
                    ["maxPayload"] = device.MaxPayload,
                    ["bootId"] = device.BootId,
                    ["modules"] = new JsonArray([.. device.Modules.Select(m => (JsonNode)new JsonObject { ["slot"] = m.Slot, ["type"] = m.Type, ["version"] = m.Version, ["name"] = m.Name })]),
                });
                return ExitCodes.Ok;
            }

            context.Output.Line($"device      {device.DeviceId}");
            context.Output.Line($"firmware    {device.Firmware}");
            context.Output.Line($"protocol    {device.ProtocolVersion}");
            context.Output.Line($"maxPayload  {device.MaxPayload} (link limit now {link.Connection.MaxPayloadLength})");
            context.Output.Line($"bootId      0x{device.BootId:X8}");
            context.Output.Line($"link        {link.Name}");
            var modules = ToolOutput.NewTable("slot", "type", "version", "name");
            foreach (ModuleInfo module in device.Modules)
            {
                modules.AddRow(Invariant(module.Slot), $"0x{module.Type:X4}", Invariant(module.Version), ToolOutput.Cell(module.Name));
            }

            context.Output.Render(modules);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
