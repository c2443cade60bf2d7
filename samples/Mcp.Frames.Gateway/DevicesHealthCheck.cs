using Mcp.Frames.Devices;
using Mcp.Frames.Mcp1;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mcp.Frames.Gateway;

/// <summary><c>/health</c>: healthy when every device is; degraded when any is degraded or offline.</summary>
internal sealed class DevicesHealthCheck(GatewayState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (state.Registry is not { } registry)
        {
            return Task.FromResult(HealthCheckResult.Degraded("the gateway is starting"));
        }

        var data = new Dictionary<string, object>();
        var unwell = new List<string>();
        foreach (DeviceEntry device in registry.Devices)
        {
            string key = PeerText.Escape(device.DeviceId) ?? device.LinkName; // the description is logged and served as text
            data[key] = device.Health.ToString();
            if (device.Health != DeviceHealth.Healthy)
            {
                unwell.Add($"{key} is {device.Health}: {device.HealthReason}");
            }
        }

        HealthCheckResult result = unwell.Count == 0
            ? HealthCheckResult.Healthy($"{data.Count} devices healthy", data)
            : HealthCheckResult.Degraded(string.Join("; ", unwell), data: data);
        return Task.FromResult(result);
    }
}
