using Mcp.Frames.Connections;
using Mcp.Frames.Devices;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Devices;

public class ConfigReconcilerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static async Task<(MiniDevice Device, McpClient Client, FrameConnection Connection)> ConnectAsync()
    {
        (InMemoryTransport client, InMemoryTransport device) = InMemoryTransport.CreatePair("gateway", "device");
        var mini = new MiniDevice(device, 1, TimeProvider.System);
        var connection = new FrameConnection(client);
        connection.Start();
        var mcp = new McpClient(connection);
        await mcp.HelloAsync().WaitAsync(Bound);
        return (mini, mcp, connection);
    }

    private static Dictionary<byte, IReadOnlyDictionary<ushort, int>> Desired(params (ushort Register, int Value)[] values) =>
        new() { [1] = values.ToDictionary(v => v.Register, v => v.Value) };

    [Test]
    public async Task Pushes_only_the_registers_that_differ_with_the_version_it_read()
    {
        (MiniDevice device, McpClient client, var connection) = await ConnectAsync();
        await using var _ = connection;
        await using var __ = device;
        device.ConfigVersion = 4;

        ConfigSyncStatus status = await ConfigReconciler.ReconcileAsync(client, Desired((0, 10), (1, 99), (2, 30))).WaitAsync(Bound);

        Assert.That(status.State, Is.EqualTo(ConfigSyncState.InSync));
        Assert.That(status.Versions[1], Is.EqualTo(5u));
        Assert.That(device.ConfigSets, Has.Count.EqualTo(1));
        Assert.That(device.ConfigSets[0].ExpectedVersion, Is.EqualTo(4u));
        Assert.That(device.ConfigSets[0].Entries.Select(e => (e.Register, e.Value)), Is.EqualTo(new[] { ((ushort)1, 99) }));

        // Already in sync: nothing is written.
        status = await ConfigReconciler.ReconcileAsync(client, Desired((1, 99))).WaitAsync(Bound);
        Assert.That(status.State, Is.EqualTo(ConfigSyncState.InSync));
        Assert.That(device.ConfigSets, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_conflicting_write_from_another_client_is_resolved_by_reading_again()
    {
        (MiniDevice device, McpClient client, var connection) = await ConnectAsync();
        await using var _ = connection;
        await using var __ = device;
        int interfered = 0;
        device.BeforeConfigSet = d =>
        {
            if (Interlocked.Increment(ref interfered) == 1)
            {
                lock (d.Gate)
                {
                    d.Config[2] = -5; // another client changes the configuration between our read and our write
                    d.ConfigVersion++;
                }
            }
        };

        ConfigSyncStatus status = await ConfigReconciler.ReconcileAsync(client, Desired((0, 11))).WaitAsync(Bound);

        Assert.That(status.State, Is.EqualTo(ConfigSyncState.InSync));
        Assert.That(status.Conflicts, Is.EqualTo(1));
        Assert.That(device.ConfigSets.Select(s => s.ExpectedVersion), Is.EqualTo(new uint[] { 0, 1 }));
        Assert.That(device.Config, Is.EquivalentTo(new Dictionary<ushort, int> { [0] = 11, [1] = 20, [2] = -5 }), "the other client's change is kept");
        Assert.That(status.Versions[1], Is.EqualTo(2u));
    }

    [Test]
    public async Task Fails_with_the_reason_when_the_device_refuses_or_keeps_conflicting()
    {
        (MiniDevice device, McpClient client, var connection) = await ConnectAsync();
        await using var _ = connection;
        await using var __ = device;

        ConfigSyncStatus refused = await ConfigReconciler.ReconcileAsync(client, Desired((9, 1))).WaitAsync(Bound);
        Assert.That(refused.State, Is.EqualTo(ConfigSyncState.Failed));
        Assert.That(refused.Error, Does.Contain("slot 1").And.Contain("NO_SUCH_REGISTER"));

        ConfigSyncStatus noModule = await ConfigReconciler.ReconcileAsync(client, new Dictionary<byte, IReadOnlyDictionary<ushort, int>> { [4] = new Dictionary<ushort, int> { [0] = 1 } }).WaitAsync(Bound);
        Assert.That(noModule.Error, Does.Contain("slot 4").And.Contain("NO_SUCH_MODULE"));

        device.BeforeConfigSet = d =>
        {
            lock (d.Gate)
            {
                d.ConfigVersion++;
            }
        };
        ConfigSyncStatus conflicting = await ConfigReconciler.ReconcileAsync(client, Desired((0, 77)), maxAttemptsPerSlot: 3).WaitAsync(Bound);
        Assert.That(conflicting.State, Is.EqualTo(ConfigSyncState.Failed));
        Assert.That(conflicting.Error, Does.Contain("still VERSION_CONFLICT after 3 attempts"));
        Assert.That(conflicting.Conflicts, Is.EqualTo(3));
    }
    [Test]
    public async Task A_device_that_stores_other_values_than_written_fails_after_one_write_naming_the_registers()
    {
        (MiniDevice device, McpClient client, var connection) = await ConnectAsync();
        await using var _ = connection;
        await using var __ = device;
        device.StoreConfig = e => Math.Min(e.Value, 50); // the module clamps to its range

        ConfigSyncStatus status = await ConfigReconciler.ReconcileAsync(client, Desired((0, 40), (1, 90))).WaitAsync(Bound);

        Assert.Multiple(() =>
        {
            Assert.That(status.State, Is.EqualTo(ConfigSyncState.Failed));
            Assert.That(status.Error, Does.Contain("slot 1").And.Contain("register 1: wrote 90, device has 50").And.Not.Contain("register 0"));
            Assert.That(device.ConfigSets, Has.Count.EqualTo(1), "written once: writing the same again changes nothing");
            Assert.That(status.Conflicts, Is.Zero);
        });
    }

    [Test]
    public async Task More_differing_registers_than_one_frame_carries_fail_naming_the_slot_and_nothing_is_written()
    {
        (MiniDevice device, McpClient client, var connection) = await ConnectAsync();
        await using var _ = connection;
        await using var __ = device;
        var desired = new Dictionary<byte, IReadOnlyDictionary<ushort, int>>
        {
            [1] = Enumerable.Range(0, 50).ToDictionary(i => (ushort)i, i => 1000 + i), // 306 bytes of CONFIG_SET
        };

        ConfigSyncStatus status = await ConfigReconciler.ReconcileAsync(client, desired).WaitAsync(Bound);

        Assert.Multiple(() =>
        {
            Assert.That(status.State, Is.EqualTo(ConfigSyncState.Failed));
            Assert.That(status.Error, Does.Contain("slot 1: 50 registers differ").And.Contain("payload limit of 256 bytes"));
            Assert.That(device.ConfigSets, Is.Empty);
        });
    }
}
