using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.Devices;

/// <summary>Settings of a <see cref="DeviceRegistry"/>.</summary>
public sealed class DeviceRegistryOptions
{
    /// <summary>When a device counts as degraded.</summary>
    public DeviceHealthOptions Health { get; set; } = new();

    /// <summary>The desired configuration to keep devices in; <see langword="null"/> for none.</summary>
    public ConfigSyncService? ConfigSync { get; set; }

    /// <summary>The clock for health evaluation, and for links that do not set their own.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the registry and its links log.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Checks the settings and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Health, nameof(Health));
        Health.Validate();
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }
}
