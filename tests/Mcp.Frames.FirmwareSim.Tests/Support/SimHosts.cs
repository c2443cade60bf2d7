using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>Starting hosts the way most tests want them.</summary>
internal static class SimHosts
{
    /// <summary>The device of the example, plus a wide register module for paging and TOO_LARGE.</summary>
    public const string ExampleJson = """
        { "deviceId": "sim-001", "firmware": "1.2.3", "maxPayload": 256,
          "modules": [
            { "slot": 1, "type": "relay", "name": "relays", "outputs": 4 },
            { "slot": 2, "type": "temperature", "name": "boiler", "noise": 0 },
            { "slot": 3, "type": "registers", "name": "custom",
              "registers": [
                { "address": 0, "name": "setpoint", "access": "config", "value": 100 },
                { "address": 1, "name": "ticks", "access": "r", "behavior": { "kind": "increment", "periodMs": 100 } },
                { "address": 2, "name": "output", "access": "rw", "value": 0 },
                { "address": 3, "name": "command", "access": "w" },
                { "address": 4, "name": "limit", "access": "config", "value": 7 } ] },
            { "slot": 4, "type": "registers", "name": "wide",
              "registers": [
                { "address": 0, "name": "w0", "access": "r", "value": 0 },
                { "address": 1, "name": "w1", "access": "r", "value": 10 },
                { "address": 2, "name": "w2", "access": "r", "value": 20 },
                { "address": 3, "name": "w3", "access": "r", "value": 30 },
                { "address": 4, "name": "w4", "access": "r", "value": 40 },
                { "address": 5, "name": "w5", "access": "r", "value": 50 },
                { "address": 6, "name": "w6", "access": "r", "value": 60 },
                { "address": 7, "name": "w7", "access": "r", "value": 70 },
                { "address": 8, "name": "w8", "access": "r", "value": 80 },
                { "address": 9, "name": "w9", "access": "r", "value": 90 },
                { "address": 10, "name": "w10", "access": "r", "value": 100 },
                { "address": 11, "name": "w11", "access": "r", "value": 110 },
                { "address": 12, "name": "w12", "access": "r", "value": 120 },
                { "address": 13, "name": "w13", "access": "r", "value": 130 },
                { "address": 14, "name": "w14", "access": "r", "value": 140 },
                { "address": 15, "name": "w15", "access": "r", "value": 150 } ] } ],
          "faults": { "seed": 1 } }
        """;

    public static DeviceDefinition Example => DeviceDefinition.Parse(ExampleJson, "example.json");

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.Zero };

    public static Task<SimHost> StartAsync(LinkKind kind, TimeProvider? time = null, DeviceDefinition? device = null, string? stateDirectory = null, Action<SimHostOptions>? configure = null)
    {
        var options = new SimHostOptions
        {
            Device = device ?? Example,
            TimeProvider = time ?? TimeProvider.System,
            StateDirectory = stateDirectory,
        };
        switch (kind)
        {
            case LinkKind.Tcp:
                options.Endpoints.Add(SimEndpoint.LoopbackTcp());
                break;
            case LinkKind.Pty:
                options.Endpoints.Add(SimEndpoint.Pty());
                break;
        }

        configure?.Invoke(options);
        return SimHost.StartAsync(options);
    }
}
