using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Persistence;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>The configuration in the state directory: durable, atomic (old or new, never torn), locked, validated.</summary>
public sealed class ConfigPersistenceTests
{
    private TempDirectory _state = null!;

    [SetUp]
    public void SetUp() => _state = new TempDirectory();

    [TearDown]
    public void TearDown() => _state.Dispose();

    [Test]
    public async Task The_configuration_survives_a_restart()
    {
        await using (SimHost first = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within())
        await using (SimClient client = SimClient.Start(first.ConnectInMemory()))
        {
            Assert.That(await client.Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, 150)]).Within(), Is.EqualTo(1));
            Assert.That(await client.Mcp.ConfigSetAsync(1, 0, [new ConfigEntry(0x100, 0b1010)]).Within(), Is.EqualTo(1));
        }

        Assert.That(File.Exists(_state.File(ConfigStore.FileName)), Is.True);
        await using SimHost second = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within();
        await using SimClient again = SimClient.Start(second.ConnectInMemory());

        ConfigSnapshot custom = await again.Mcp.ConfigGetAsync(3).Within();
        Assert.That((custom.Version, custom.Entries[0]), Is.EqualTo((1u, new ConfigEntry(0, 150))));
        Assert.That(await again.Mcp.ReadAsync(1, 0, 4).Within(), Is.EqualTo(new[] { 0, 1, 0, 1 }), "the stored power-on mask applies at start");
    }

    [Test]
    public async Task Config_set_answers_only_after_the_file_is_renamed_into_place()
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());
        string? seenInFile = null;
        host.Device.Store.BeforeRename = temp => seenInFile = File.Exists(_state.File(ConfigStore.FileName)) ? File.ReadAllText(_state.File(ConfigStore.FileName)) : "";

        await client.Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, 42)]).Within();

        Assert.That(seenInFile, Does.Not.Contain("42"), "before the rename the old file is in place");
        Assert.That(File.ReadAllText(_state.File(ConfigStore.FileName)), Does.Contain("\"value\": 42"), "when OK is answered the new file is");
        Assert.That(File.Exists(_state.File(ConfigStore.TempFileName)), Is.False);
    }

    [Test]
    public async Task A_crash_before_the_rename_leaves_the_old_configuration()
    {
        await using (SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within())
        await using (SimClient client = SimClient.Start(host.ConnectInMemory()))
        {
            await client.Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, 1), new ConfigEntry(4, 1)]).Within();
            host.Device.Store.BeforeRename = _ => throw new IOException("simulated power loss before rename");

            var (status, _) = await client.RawAsync(McpCommand.ConfigSet, Body.ConfigSet(3, 1, (0, 2), (4, 2)));

            Assert.That(status, Is.EqualTo(McpStatus.InternalError), "not stored, so not OK");
            Assert.That((await client.Mcp.ConfigGetAsync(3).Within()).Version, Is.EqualTo(1), "and not applied either");
            Assert.That(File.Exists(_state.File(ConfigStore.TempFileName)), Is.True, "the crash left the new file half-way");
        }

        await using SimHost restarted = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within();
        ConfigSnapshot loaded = restarted.Device.GetConfig(3);
        Assert.That((loaded.Version, loaded.Entries), Is.EqualTo((1u, (IReadOnlyList<ConfigEntry>)[new ConfigEntry(0, 1), new ConfigEntry(4, 1)])), "the old configuration, whole");
        Assert.That(File.Exists(_state.File(ConfigStore.TempFileName)), Is.False, "the leftover is discarded at start");
    }

    [Test]
    public async Task A_torn_temporary_file_from_a_killed_process_is_never_loaded()
    {
        await using (SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within())
        {
            await host.Device.SetConfigAsync(3, [new ConfigEntry(0, 11)]).Within();
        }

        byte[] whole = File.ReadAllBytes(_state.File(ConfigStore.FileName));
        File.WriteAllBytes(_state.File(ConfigStore.TempFileName), whole[..(whole.Length / 2)]); // killed mid-write

        await using SimHost restarted = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within();

        Assert.That(restarted.Device.ReadRegister(3, 0), Is.EqualTo(11));
        Assert.That(File.Exists(_state.File(ConfigStore.TempFileName)), Is.False);
    }

    [Test]
    public async Task Without_a_state_directory_the_configuration_survives_reset_but_not_a_restart()
    {
        await using (SimHost host = await SimHosts.StartAsync(LinkKind.InMemory).Within())
        {
            await host.Device.SetConfigAsync(3, [new ConfigEntry(0, 5)]).Within();
            await host.RebootAsync().Within();
            Assert.That(host.Device.ReadRegister(3, 0), Is.EqualTo(5));
        }

        await using SimHost fresh = await SimHosts.StartAsync(LinkKind.InMemory).Within();
        Assert.That(fresh.Device.ReadRegister(3, 0), Is.EqualTo(100));
    }

    [Test]
    public async Task A_state_directory_serves_one_simulator_at_a_time()
    {
        await using SimHost first = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within();

        var error = Assert.ThrowsAsync<StateDirectoryException>(() => SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path));

        Assert.That(error!.Message, Does.Contain("in use"));
    }

    [Test]
    public void An_invalid_configuration_file_is_refused_with_the_json_path()
    {
        File.WriteAllText(_state.File(ConfigStore.FileName), """{ "format": 1, "modules": [ { "slot": 3, "version": -1, "values": [] } ] }""");

        var error = Assert.ThrowsAsync<StateDirectoryException>(() => SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path));

        Assert.That(error!.Message, Does.Contain("$.modules[0].version").And.Contain(ConfigStore.FileName));
    }

    [Test]
    public async Task Stored_values_the_definition_no_longer_has_are_ignored()
    {
        File.WriteAllText(_state.File(ConfigStore.FileName), """
            { "format": 1, "modules": [
              { "slot": 3, "version": 4, "values": [ { "register": 0, "value": 9 }, { "register": 2, "value": 9 } ] },
              { "slot": 77, "version": 1, "values": [] } ] }
            """);

        await using SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, stateDirectory: _state.Path).Within();

        Assert.That(host.Device.GetConfig(3).Version, Is.EqualTo(4));
        Assert.That(host.Device.ReadRegister(3, 0), Is.EqualTo(9));
        Assert.That(host.Device.ReadRegister(3, 2), Is.EqualTo(0), "register 2 is not a configuration register any more");
    }
}
