using Mcp.Frames.Devices;

namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>Bounded waits on a running registry.</summary>
internal static class Await
{
    /// <summary>
    /// Waits until <paramref name="condition"/> holds, checking it now and after every registry event (health,
    /// configuration sync, reboot, discovery).
    /// </summary>
    public static async Task UntilAsync(DeviceRegistry registry, Func<bool> condition, string what)
    {
        using var changed = new SemaphoreSlim(0);
        void Poke(object? sender, object e) => changed.Release();
        registry.HealthChanged += Poke;
        registry.ConfigSyncChanged += Poke;
        registry.DeviceRebooted += Poke;
        registry.DeviceDiscovered += Poke;
        try
        {
            using var deadline = new CancellationTokenSource(Bounded.Timeout);
            while (!condition())
            {
                try
                {
                    await changed.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    string devices = string.Join("; ", registry.Devices.Select(d => $"{d.DeviceId ?? d.LinkName}: {d.Health} ({d.HealthReason}), config {d.ConfigSync}"));
                    throw new TimeoutException($"not {what} within {Bounded.Timeout.TotalSeconds:0} s: {devices}");
                }
            }
        }
        finally
        {
            registry.HealthChanged -= Poke;
            registry.ConfigSyncChanged -= Poke;
            registry.DeviceRebooted -= Poke;
            registry.DeviceDiscovered -= Poke;
        }
    }

    /// <summary>
    /// Waits until a watched value matches. The registry keeps watched values as state and raises no event for them,
    /// so this one wait looks every 20 ms (bounded).
    /// </summary>
    public static async Task<WatchedValue> ValueAsync(DeviceEntry entry, Func<WatchedValue, bool> match, string what)
    {
        using var deadline = new CancellationTokenSource(Bounded.Timeout);
        while (true)
        {
            if (entry.Values.FirstOrDefault(match) is { } value)
            {
                return value;
            }

            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no watched value {what} within {Bounded.Timeout.TotalSeconds:0} s; values: {string.Join(", ", entry.Values)}");
            }
        }
    }
}
