using System.Diagnostics.Metrics;
using System.Globalization;
using Mcp.Frames.Connections;
using Mcp.Frames.Devices;
using Mcp.Frames.Gateway.Settings;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Resilience;
using Microsoft.Extensions.Options;

namespace Mcp.Frames.Gateway;

/// <summary>
/// Runs the gateway: the device registry over the configured links (or over an embedded simulated device when none
/// is configured), configuration sync, and a log of what happens.
/// </summary>
internal sealed partial class GatewayService(
    IOptions<GatewaySettings> settings,
    ILoggerFactory loggerFactory,
    IMeterFactory meterFactory,
    GatewayState state,
    TimeProvider timeProvider) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<GatewayService>();
    private EmbeddedDevice? _embedded;
    private DeviceRegistry? _registry;
    private ConfigSyncService? _sync;
    private ITimer? _valuesTimer;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        GatewaySettings s = settings.Value;
        List<LinkSettings> links = s.Links;
        List<WatchSettings> watches = s.Watches;
        string? desired = s.DesiredConfiguration;
        if (links.Count == 0 && string.IsNullOrEmpty(desired))
        {
            desired = Path.Combine(AppContext.BaseDirectory, "desired.demo.json");
        }

        if (!string.IsNullOrEmpty(desired))
        {
            // Loaded before any device is started or dialled: an invalid file at start stops the gateway with the reason.
            _sync = new ConfigSyncService(desired, loggerFactory.CreateLogger<ConfigSyncService>(), timeProvider);
            _sync.Start();
            state.ConfigSync = _sync;
        }

        if (links.Count == 0)
        {
            _embedded = await EmbeddedDevice.StartAsync(loggerFactory, timeProvider, cancellationToken).ConfigureAwait(false);
            state.EmbeddedDevice = _embedded.Endpoint;
            LogEmbedded(_logger, _embedded.Endpoint, _embedded.DeviceId);
            links = [new LinkSettings { Name = "embedded", Tcp = new TcpLinkSettings { Host = _embedded.Host, Port = _embedded.Port } }];
            if (watches.Count == 0)
            {
                watches = [.. EmbeddedDevice.DemoWatches];
            }
        }

        _registry = new DeviceRegistry(new DeviceRegistryOptions
        {
            ConfigSync = _sync,
            TimeProvider = timeProvider,
            LoggerFactory = loggerFactory,
            Health = new DeviceHealthOptions
            {
                EvaluationInterval = TimeSpan.FromMilliseconds(s.HealthIntervalMs),
                // With no heartbeat a device that has nothing to say is silent, not ill: silence then counts for nothing.
                DegradedAfterSilence = s.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(s.DegradedAfterSilenceMs) : TimeSpan.MaxValue,
            },
        });
        foreach (LinkSettings link in links)
        {
            _registry.AddLink(new DeviceLinkOptions
            {
                Connector = LinkConnectorFactory.Create(link),
                Watches = [.. watches.Select(w => new WatchSpec((byte)w.Slot, (ushort)w.Register, (byte)w.Count, (ushort)w.PeriodMs, w.OnChange))],
                Session = new McpSessionOptions
                {
                    BootIdCheckInterval = s.BootIdCheckIntervalMs > 0 ? TimeSpan.FromMilliseconds(s.BootIdCheckIntervalMs) : null,
                    Link = new ReconnectingLinkOptions
                    {
                        Connection = new FrameConnectionOptions
                        {
                            Name = link.Name,
                            HeartbeatInterval = s.HeartbeatIntervalMs > 0 ? TimeSpan.FromMilliseconds(s.HeartbeatIntervalMs) : null,
                            HeartbeatMissedLimit = s.HeartbeatMissedLimit,
                            RequestTimeout = TimeSpan.FromMilliseconds(s.RequestTimeoutMs),
                            TimeProvider = timeProvider,
                            LoggerFactory = loggerFactory,
                            MeterFactory = meterFactory,
                        },
                        Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(100), Maximum = TimeSpan.FromMilliseconds(s.MaxBackoffMs) },
                    },
                },
            });
        }

        state.Registry = _registry;
        _valuesTimer = timeProvider.CreateTimer(static g => ((GatewayService)g!).LogValues(), this, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        _valuesTimer?.Dispose();
        if (_registry is { } registry)
        {
            _registry = null;
            await registry.DisposeAsync().ConfigureAwait(false);
        }

        _sync?.Dispose();
        if (_embedded is { } embedded)
        {
            _embedded = null;
            await embedded.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void LogValues()
    {
        foreach (DeviceEntry device in _registry?.Devices ?? [])
        {
            IReadOnlyList<WatchedValue> values = device.Values;
            if (values.Count == 0 || device.DeviceId is null || device.Health == DeviceHealth.Offline)
            {
                continue; // an offline device's last values are not live (they stay in /devices with their times)
            }

            string text = string.Join(", ", values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Slot}/{v.Register}={v.Value}")));
            LogLiveValues(_logger, PeerText.Escape(device.DeviceId), device.Health, text);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "No links configured: started an embedded simulated device {DeviceId} on {Endpoint}")]
    private static partial void LogEmbedded(ILogger logger, string endpoint, string deviceId);

    [LoggerMessage(2, LogLevel.Information, "{DeviceId} ({Health}) live values: {Values}")]
    private static partial void LogLiveValues(ILogger logger, string deviceId, DeviceHealth health, string values);
}
