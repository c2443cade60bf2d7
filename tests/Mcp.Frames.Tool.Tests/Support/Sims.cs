using System.Net;
using System.Net.Sockets;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Hosting;

namespace Mcp.Frames.Tool.Tests.Support;

/// <summary>How the tool reaches the simulated device.</summary>
public enum LinkKind
{
    /// <summary><c>--tcp 127.0.0.1:PORT</c>.</summary>
    Tcp,

    /// <summary><c>--serial LINK</c>, a stable link to the slave of a pseudo-terminal the host creates.</summary>
    Pty,
}

/// <summary>The simulated device the tests talk to, hosted in-process.</summary>
internal static class Sims
{
    /// <summary>A small device with fixed values, so that outputs can be asserted exactly.</summary>
    public const string DeviceJson = """
        { "deviceId": "sim-tool", "firmware": "2.3.4", "maxPayload": 256,
          "modules": [
            { "slot": 1, "type": "relay", "name": "relays", "outputs": 4 },
            { "slot": 3, "type": "registers", "name": "custom",
              "registers": [
                { "address": 0, "name": "setpoint", "access": "config", "value": 100 },
                { "address": 1, "name": "level", "access": "r", "value": 42 },
                { "address": 2, "name": "output", "access": "rw", "value": 0 },
                { "address": 3, "name": "command", "access": "w" },
                { "address": 4, "name": "limit", "access": "config", "value": 7 } ] } ] }
        """;

    public static async Task<SimHost> StartAsync(LinkKind kind, string linkDirectory)
    {
        var options = new SimHostOptions { Device = DeviceDefinition.Parse(DeviceJson, "tool-tests.json") };
        options.Endpoints.Add(kind == LinkKind.Tcp ? SimEndpoint.LoopbackTcp() : SimEndpoint.Pty(Path.Combine(linkDirectory, "tty")));
        return await SimHost.StartAsync(options).Within();
    }

    /// <summary>The flags that point the tool at the host.</summary>
    public static string[] LinkArgs(SimHost host, LinkKind kind) => kind == LinkKind.Tcp
        ? ["--tcp", $"127.0.0.1:{host.TcpEndPoint!.Port}"]
        : ["--serial", host.Endpoints.First(e => e.Kind == "pty").LinkPath!];

    /// <summary>A 127.0.0.1 port that was just bound and closed: connecting to it is refused.</summary>
    public static int RefusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
