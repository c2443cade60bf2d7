using Mcp.Frames.Devices;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Gateway;

/// <summary>The device API: <c>GET /devices</c> and <c>GET /devices/{deviceId}</c>.</summary>
internal static class DeviceEndpoints
{
    public static void MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/devices", (GatewayState state) =>
            Results.Ok((state.Registry?.Devices ?? []).Select(d => Describe(d, withValues: false)).ToList()));

        app.MapGet("/devices/{deviceId}", (string deviceId, GatewayState state) =>
            state.Registry?.Find(deviceId) is { } device
                ? Results.Ok(Describe(device, withValues: true))
                : Results.Problem(statusCode: 404, title: "No such device", detail: $"No device with id '{deviceId}' has been discovered."));
    }

    private static DeviceView Describe(DeviceEntry device, bool withValues)
    {
        DeviceInfo? identity = device.Identity;
        ConfigSyncStatus sync = device.ConfigSync;
        DeviceStatistics stats = device.Statistics;
        return new DeviceView(
            device.DeviceId,
            device.LinkName,
            device.Health.ToString().ToLowerInvariant(),
            device.HealthReason,
            identity?.Firmware.ToString(),
            identity?.BootId,
            device.Reboots,
            identity?.Modules.Select(m => new ModuleView(m.Slot, m.Type, m.Name, m.Version)).ToList() ?? [],
            new ConfigView(ToWire(sync.State), sync.Version, sync.Versions.ToDictionary(v => v.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), v => v.Value), sync.Error, sync.Conflicts),
            new StatisticsView(stats.RoundTrip?.TotalMilliseconds, stats.FramesReceived, stats.BytesReceived, stats.FramesSent, stats.BytesSent, stats.ChecksumErrors, stats.Timeouts, stats.UnmatchedAnswers, stats.LostEvents, stats.Connects),
            device.Watches.Select(w => new WatchView(w.Request.Slot, w.Request.Register, w.Request.Count, w.Request.PeriodMs, w.Request.Mode == SubscribeMode.OnChange, w.State.ToString().ToLowerInvariant(), w.Refusal, w.Received, w.LostEvents)).ToList(),
            withValues ? device.Values.Select(v => new ValueView(v.Slot, v.Register, v.Value, v.UptimeMs, v.ReceivedAt)).ToList() : null);
    }

    private static string ToWire(ConfigSyncState state) => state switch
    {
        ConfigSyncState.InSync => "in-sync",
        ConfigSyncState.NotConfigured => "not-configured",
        _ => state.ToString().ToLowerInvariant(),
    };

    internal sealed record DeviceView(
        string? DeviceId,
        string Link,
        string Health,
        string HealthReason,
        string? Firmware,
        uint? BootId,
        int Reboots,
        List<ModuleView> Modules,
        ConfigView Config,
        StatisticsView Statistics,
        List<WatchView> Watches,
        List<ValueView>? Values);

    internal sealed record ModuleView(byte Slot, ushort Type, string Name, byte Version);

    internal sealed record ConfigView(string State, uint Version, Dictionary<string, uint> Versions, string? Error, int Conflicts);

    internal sealed record StatisticsView(double? RoundTripMs, long FramesReceived, long BytesReceived, long FramesSent, long BytesSent, long ChecksumErrors, long Timeouts, long UnmatchedAnswers, long LostEvents, int Connects);

    /// <summary>A watch: <c>state</c> is <c>subscribed</c>, <c>refused</c> (with the device's answer in <c>refusal</c>) or <c>pending</c>.</summary>
    internal sealed record WatchView(byte Slot, ushort Register, byte Count, ushort PeriodMs, bool OnChange, string State, string? Refusal, long Received, long LostEvents);

    internal sealed record ValueView(byte Slot, ushort Register, int Value, uint UptimeMs, DateTimeOffset ReceivedAt);
}
