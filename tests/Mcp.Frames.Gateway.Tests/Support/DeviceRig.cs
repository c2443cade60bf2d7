using Mcp.Frames.Connections;
using Mcp.Frames.Devices;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Resilience;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>
/// The library pieces of the gateway, end to end: a simulated device (firmware-sim, in this process) served on
/// 127.0.0.1 port 0 and, for <see cref="LinkKind.Pty"/>, on a pseudo-terminal; a <see cref="DeviceRegistry"/> with one
/// link to it (TCP, or the pty opened as a serial port); a desired-configuration file watched by a
/// <see cref="ConfigSyncService"/>. Short settings so that health changes in tenths of a second, on the real clock.
/// </summary>
internal sealed class DeviceRig : IAsyncDisposable
{
    public const string DeviceId = "gw-e2e";

    /// <summary>A relay module, and a register module with two configuration registers and a ticking one.</summary>
    public const string DefinitionJson = """
        { "deviceId": "gw-e2e", "firmware": "2.1.0", "maxPayload": 256, "seed": 7,
          "modules": [
            { "slot": 1, "type": "relay", "name": "relays", "outputs": 2 },
            { "slot": 3, "type": "registers", "name": "custom",
              "registers": [
                { "address": 0, "name": "setpoint", "access": "config", "value": 100 },
                { "address": 1, "name": "ticks", "access": "r", "behavior": { "kind": "increment", "periodMs": 20 } },
                { "address": 2, "name": "output", "access": "rw", "value": 0 },
                { "address": 4, "name": "limit", "access": "config", "value": 7 } ] } ] }
        """;

    /// <summary>The desired configuration most tests start from: the set point at 150.</summary>
    public const string DesiredJson = """{ "gw-e2e": { "3": { "0": 150 } } }""";

    /// <summary>A periodic watch of the ticking register.</summary>
    public static readonly WatchSpec Ticks = new(3, 1, 1, 50);

    /// <summary>An on-change watch of the two relays.</summary>
    public static readonly WatchSpec Relays = new(1, 0, 2, 20, OnChange: true);

    // Degraded after 0.4 s of silence, the link given up after 1 s: short, yet far from what a busy 2-core machine
    // does to a healthy link.
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(200);
    public const int HeartbeatMissedLimit = 5;
    public static readonly TimeSpan DegradedAfterSilence = TimeSpan.FromMilliseconds(400);

    private readonly string _directory;
    private readonly List<IAsyncDisposable> _clients = [];

    private DeviceRig(LinkKind kind, SimHost sim, string directory)
    {
        Kind = kind;
        Sim = sim;
        _directory = directory;
        DesiredPath = Path.Combine(directory, "desired.json");
    }

    public LinkKind Kind { get; }

    public SimHost Sim { get; }

    public DeviceRegistry Registry { get; private set; } = null!;

    public DeviceEntry Entry { get; private set; } = null!;

    public ConfigSyncService Sync { get; private set; } = null!;

    public string DesiredPath { get; }

    public EventQueue<DeviceEntry> Discovered { get; } = new();

    public EventQueue<DeviceHealthChange> Health { get; } = new();

    public EventQueue<DeviceEntry> Reboots { get; } = new();

    public EventQueue<ConfigSyncStatus> ConfigChanges { get; } = new();

    public static DeviceDefinition Definition => DeviceDefinition.Parse(DefinitionJson, "gw-e2e.json");

    /// <summary>An id that holds a line break and a terminal escape, as a hostile device might send.</summary>
    public const string ForgedId = "gw\n12:00:00 crit forged\u001b[2J";

    /// <summary><see cref="ForgedId"/> as logs and text output must show it.</summary>
    public const string ForgedIdShown = "gw\\u000a12:00:00 crit forged\\u001b[2J";

    /// <summary><paramref name="json"/> (<see cref="DefinitionJson"/> or <see cref="DesiredJson"/>) with <see cref="DeviceId"/> replaced by <paramref name="deviceId"/>.</summary>
    public static string WithDeviceId(string json, string deviceId) =>
        json.Replace($"\"{DeviceId}\"", System.Text.Json.JsonSerializer.Serialize(deviceId), StringComparison.Ordinal);

    /// <summary>Starts the simulated device and serves it.</summary>
    public static async Task<SimHost> StartSimAsync(LinkKind kind, ILoggerFactory logs, DeviceDefinition? definition = null)
    {
        if (kind == LinkKind.Pty && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The pty link kind needs Linux pseudo-terminals; the project's tests run on Linux.");
        }

        var options = new SimHostOptions { Device = definition ?? Definition, LoggerFactory = logs };
        options.Endpoints.Add(SimEndpoint.LoopbackTcp()); // the second client always comes over TCP
        if (kind == LinkKind.Pty)
        {
            options.Endpoints.Add(SimEndpoint.Pty());
        }

        return await SimHost.StartAsync(options).Within();
    }

    /// <summary>The pty's slave path (what a gateway opens as a serial port).</summary>
    public static string PtyPath(SimHost sim) => sim.Endpoints.First(e => e.Kind == "pty").Address;

    /// <summary>Starts the device, the desired-configuration service and the registry with one link.</summary>
    /// <param name="kind">How the gateway reaches the device.</param>
    /// <param name="logs">Receives every log line.</param>
    /// <param name="desiredJson">The desired configuration's file.</param>
    /// <param name="watches">The link's watches; <see langword="null"/> for <see cref="Ticks"/> and <see cref="Relays"/>.</param>
    /// <param name="definition">The device; <see langword="null"/> for <see cref="Definition"/>.</param>
    public static async Task<DeviceRig> StartAsync(LinkKind kind, LogCollector logs, string desiredJson = DesiredJson, IReadOnlyList<WatchSpec>? watches = null, DeviceDefinition? definition = null)
    {
        string directory = Directory.CreateTempSubdirectory("mcp-gw-e2e-").FullName;
        SimHost sim = await StartSimAsync(kind, logs, definition);
        var rig = new DeviceRig(kind, sim, directory);
        try
        {
            await File.WriteAllTextAsync(rig.DesiredPath, desiredJson);
            rig.Sync = new ConfigSyncService(rig.DesiredPath, logs.CreateLogger<ConfigSyncService>(), debounce: TimeSpan.FromMilliseconds(50));
            rig.Sync.Start();
            rig.Registry = new DeviceRegistry(new DeviceRegistryOptions
            {
                ConfigSync = rig.Sync,
                LoggerFactory = logs,
                Health = new DeviceHealthOptions { EvaluationInterval = TimeSpan.FromMilliseconds(50), DegradedAfterSilence = DegradedAfterSilence },
            });
            rig.Registry.DeviceDiscovered += (_, e) => rig.Discovered.Add(e);
            rig.Registry.HealthChanged += (_, e) => rig.Health.Add(e);
            rig.Registry.DeviceRebooted += (_, e) => rig.Reboots.Add(e);
            rig.Registry.ConfigSyncChanged += (_, e) => rig.ConfigChanges.Add(e.ConfigSync);
            rig.Entry = rig.Registry.AddLink(new DeviceLinkOptions
            {
                Connector = kind == LinkKind.Tcp
                    ? new TcpTransportConnector("127.0.0.1", sim.TcpEndPoint!.Port)
                    : new SerialTransportConnector(new SerialTransportOptions { PortName = PtyPath(sim) }),
                Watches = watches ?? [Ticks, Relays],
                Session = new McpSessionOptions
                {
                    BootIdCheckInterval = TimeSpan.FromMilliseconds(200),
                    Link = new ReconnectingLinkOptions
                    {
                        Connection = new FrameConnectionOptions
                        {
                            Name = "gateway",
                            HeartbeatInterval = HeartbeatInterval,
                            HeartbeatMissedLimit = HeartbeatMissedLimit,
                            RequestTimeout = TimeSpan.FromMilliseconds(1000),
                        },
                        Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(50), Maximum = TimeSpan.FromMilliseconds(200) },
                    },
                },
            });
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }

        return rig;
    }

    /// <summary>Waits until the device is discovered, healthy and its configuration in sync.</summary>
    public async Task WaitUntilReadyAsync()
    {
        await UntilAsync(() => Entry.DeviceId is not null && Entry.Health == DeviceHealth.Healthy && Entry.ConfigSync.State == ConfigSyncState.InSync, "discovered, healthy and in sync");
    }

    /// <summary>Waits until <paramref name="condition"/> holds, checking it after every registry event.</summary>
    public Task UntilAsync(Func<bool> condition, string what) => Await.UntilAsync(Registry, condition, what);

    /// <summary>Waits until a watched value of the device matches.</summary>
    public Task<WatchedValue> UntilValueAsync(Func<WatchedValue, bool> match, string what) => Await.ValueAsync(Entry, match, what);

    /// <summary>A second client of the device (another gateway, a service tool) over its own TCP connection.</summary>
    public async Task<McpClient> ConnectSecondClientAsync()
    {
        ITransport transport = await new TcpTransportConnector("127.0.0.1", Sim.TcpEndPoint!.Port).ConnectAsync().Within();
        var connection = new FrameConnection(transport, null, new FrameConnectionOptions { Name = "second client", RequestTimeout = TimeSpan.FromSeconds(2) });
        connection.Start();
        _clients.Add(connection);
        var client = new McpClient(connection);
        await client.HelloAsync().Within();
        return client;
    }

    /// <summary>Replaces the desired-configuration file as careful editors do: write a new file, rename it over the old.</summary>
    public async Task WriteDesiredAsync(string json)
    {
        string next = DesiredPath + ".new";
        await File.WriteAllTextAsync(next, json);
        File.Move(next, DesiredPath, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable client in _clients)
        {
            await client.DisposeAsync();
        }

        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        Sync?.Dispose();
        await Sim.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
