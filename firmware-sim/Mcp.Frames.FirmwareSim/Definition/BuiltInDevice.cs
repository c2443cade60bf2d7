namespace Mcp.Frames.FirmwareSim.Definition;

/// <summary>The device served when no definition file is given: one module of each built-in type.</summary>
internal static class BuiltInDevice
{
    /// <summary>The definition, in the same format as a definition file (printed by <c>--print-device</c>).</summary>
    public const string Json = """
        {
          "deviceId": "sim-builtin",
          "firmware": "1.0.0",
          "maxPayload": 256,
          "seed": 1,
          "modules": [
            { "slot": 1, "type": "relay", "name": "relays", "outputs": 4 },
            { "slot": 2, "type": "digital-input", "name": "inputs", "inputs": 4,
              "toggle": [ { "input": 0, "periodMs": 1000 } ] },
            { "slot": 3, "type": "analog-input", "name": "analog",
              "channels": [
                { "name": "ain0", "waveform": "sine", "offset": 2500, "amplitude": 1000, "periodMs": 10000 },
                { "name": "ain1", "waveform": "random-walk", "start": 0, "step": 10, "min": -1000, "max": 1000, "periodMs": 100 } ] },
            { "slot": 4, "type": "temperature", "name": "boiler", "base": 2150, "noise": 20, "sampleMs": 250 },
            { "slot": 5, "type": "counter", "name": "meter", "counters": 2, "ratePerMinute": 600 },
            { "slot": 6, "type": "gpio", "name": "gpio", "driver": "simulated",
              "pins": [
                { "pin": 17, "mode": "output", "name": "led" },
                { "pin": 27, "mode": "input-pullup", "name": "button" } ] },
            { "slot": 7, "type": "registers", "name": "custom",
              "registers": [
                { "address": 0, "name": "setpoint", "access": "config", "value": 100 },
                { "address": 1, "name": "ticks", "access": "r", "behavior": { "kind": "increment", "periodMs": 100 } },
                { "address": 2, "name": "output", "access": "rw", "value": 0 },
                { "address": 3, "name": "noise", "access": "r", "behavior": { "kind": "random", "periodMs": 500, "min": 0, "max": 100 } },
                { "address": 4, "name": "wave", "access": "r", "behavior": { "kind": "sine", "periodMs": 10000, "amplitude": 1000 } },
                { "address": 5, "name": "uptime", "access": "r", "behavior": { "kind": "uptime", "unit": "s" } },
                { "address": 6, "name": "command", "access": "w" } ] }
          ]
        }
        """;
}
