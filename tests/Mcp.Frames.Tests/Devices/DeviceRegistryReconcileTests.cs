using Mcp.Frames.Devices;
using Mcp.Frames.Tests.Resilience;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Devices;

/// <summary>What a caller of <see cref="DeviceRegistry.ReconcileAsync"/> can rely on when a reconcile is already running.</summary>
public class DeviceRegistryReconcileTests : GuardedTest
{
    [Test]
    public async Task ReconcileAsync_completes_only_after_the_reconcile_it_asked_for_has_run()
    {
        string dir = Directory.CreateTempSubdirectory("mcp-review-").FullName;
        Defer(() =>
        {
            Directory.Delete(dir, true);
            return ValueTask.CompletedTask;
        });
        string file = Path.Combine(dir, "desired.json");
        await File.WriteAllTextAsync(file, """{ "mini": { "1": { "0": 111 } } }""");
        using var sync = new ConfigSyncService(file);
        sync.Start();
        var inSet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        var connector = new DeviceConnector(TimeProvider.System);
        Defer(connector.DisposeDevicesAsync);
        var registry = new DeviceRegistry(new DeviceRegistryOptions { ConfigSync = sync, LoggerFactory = Logs });
        Defer(async () =>
        {
            release.Set();
            await registry.DisposeAsync();
        });
        DeviceEntry entry = registry.AddLink(new DeviceLinkOptions { Connector = connector });
        await entry.Session.GetClientAsync().Within();
        MiniDevice device = connector.LastDevice;
        await registry.ReconcileAsync(entry).Within(); // the one after connect, or a pass after it: in sync now
        Assert.That(entry.ConfigSync.State, Is.EqualTo(ConfigSyncState.InSync));

        // Someone changes the register behind our back; a reconcile starts and is held inside its CONFIG_SET.
        lock (device.Gate)
        {
            device.Config[0] = 5;
            device.ConfigVersion++;
        }

        device.BeforeConfigSet = _ =>
        {
            inSet.TrySetResult();
            release.Wait(Bound);
        };
        Task running = registry.ReconcileAsync(entry);
        await inSet.Task.Within();

        Task asked = registry.ReconcileAsync(entry);

        Assert.That(asked.IsCompleted, Is.False, "the reconcile it asked for has not run yet (one is still in progress)");
        release.Set();
        await Task.WhenAll(running, asked).Within();
        lock (device.Gate)
        {
            Assert.That(device.Config[0], Is.EqualTo(111));
        }

        Assert.That(entry.ConfigSync.State, Is.EqualTo(ConfigSyncState.InSync));
    }
}
