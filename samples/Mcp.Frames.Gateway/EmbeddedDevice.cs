using System.Net;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Gateway.Settings;

namespace Mcp.Frames.Gateway;

/// <summary>
/// The demo's device: the simulated device host (firmware-sim's built-in device, one module of each type) running in
/// this process on 127.0.0.1 with a port the OS picks. The gateway reaches it over real TCP, as it would a real one.
/// </summary>
internal sealed class EmbeddedDevice : IAsyncDisposable
{
    private readonly SimHost _host;

    private EmbeddedDevice(SimHost host, IPEndPoint endPoint)
    {
        _host = host;
        Host = endPoint.Address.ToString();
        Port = endPoint.Port;
    }

    /// <summary>What the demo watches on the built-in device: the boiler temperature on change, the analog input, and a ticking register.</summary>
    public static IReadOnlyList<WatchSettings> DemoWatches { get; } =
    [
        new WatchSettings { Slot = 4, Register = 0, Count = 1, PeriodMs = 250, OnChange = true },
        new WatchSettings { Slot = 3, Register = 0, Count = 2, PeriodMs = 500 },
        new WatchSettings { Slot = 7, Register = 0, Count = 2, PeriodMs = 1000 },
    ];

    public string Host { get; }

    public int Port { get; }

    public string Endpoint => $"tcp {Host}:{Port}";

    public string DeviceId => _host.Device.DeviceId;

    public SimHost Sim => _host;

    public static async Task<EmbeddedDevice> StartAsync(ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var options = new SimHostOptions { LoggerFactory = loggerFactory, TimeProvider = timeProvider };
        options.Endpoints.Add(SimEndpoint.LoopbackTcp());
        SimHost host = await SimHost.StartAsync(options, cancellationToken).ConfigureAwait(false);
        return new EmbeddedDevice(host, host.TcpEndPoint ?? throw new InvalidOperationException("The embedded device did not open its TCP endpoint."));
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
