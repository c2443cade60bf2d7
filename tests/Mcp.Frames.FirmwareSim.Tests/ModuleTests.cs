using System.Device.Gpio;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Device;
using Mcp.Frames.FirmwareSim.Gpio;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Modules;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>The module types and their simulated behaviour, on a fake clock.</summary>
public sealed class ModuleTests
{
    private FakeTimeProvider _clock = null!;

    [SetUp]
    public void SetUp() => _clock = SimHosts.NewClock();

    [Test]
    public async Task Register_behaviours_follow_the_device_clock()
    {
        await using SimHost host = await StartAsync("""
            { "slot": 1, "type": "registers", "name": "r", "registers": [
              { "address": 0, "name": "inc", "access": "r", "value": 5, "behavior": { "kind": "increment", "periodMs": 100, "step": 2 } },
              { "address": 1, "name": "sine", "access": "r", "behavior": { "kind": "sine", "periodMs": 1000, "amplitude": 100, "offset": 50 } },
              { "address": 2, "name": "up", "access": "r", "behavior": { "kind": "uptime" } },
              { "address": 3, "name": "upS", "access": "r", "behavior": { "kind": "uptime", "unit": "s" } },
              { "address": 4, "name": "rnd", "access": "rw", "behavior": { "kind": "random", "periodMs": 10, "min": -3, "max": 3 } } ] }
            """);

        Assert.That(host.Device.ReadRegisters(1, 0, 4), Is.EqualTo(new[] { 5, 50, 0, 0 }));
        _clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.That(host.Device.ReadRegisters(1, 0, 4), Is.EqualTo(new[] { 9, 150, 250, 0 }), "250 ms: two increments, a quarter sine period");
        _clock.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.That(host.Device.ReadRegisters(1, 0, 4), Is.EqualTo(new[] { 29, 150, 1250, 1 }));

        host.Device.SetRegister(1, 0, 1000);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(host.Device.ReadRegister(1, 0), Is.EqualTo(1002), "an increment goes on from a value set by a test");

        var samples = new HashSet<int>();
        for (int i = 0; i < 200; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            samples.Add(host.Device.ReadRegister(1, 4));
        }

        Assert.That(samples, Is.SubsetOf(Enumerable.Range(-3, 7)).And.Count.EqualTo(7), "uniform from min to max");

        await host.RebootAsync().Within();
        Assert.That(host.Device.ReadRegisters(1, 0, 3), Is.EqualTo(new[] { 5, 50, 0 }), "behaviours restart at boot");
    }

    [Test]
    public async Task Random_values_are_reproducible_for_a_seed()
    {
        const string module = """{ "slot": 1, "type": "registers", "name": "r", "registers": [ { "address": 0, "name": "rnd", "access": "r", "behavior": { "kind": "random", "periodMs": 10, "min": 0, "max": 1000000 } } ] }""";

        int[] first = await SeriesAsync(module, seed: 7, slot: 1, register: 0);
        int[] again = await SeriesAsync(module, seed: 7, slot: 1, register: 0);
        int[] other = await SeriesAsync(module, seed: 8, slot: 1, register: 0);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
    }

    [Test]
    public async Task Temperature_has_reproducible_noise_an_offset_and_an_alarm()
    {
        const string module = """{ "slot": 2, "type": "temperature", "name": "boiler", "base": 2000, "noise": 50, "sampleMs": 100 }""";
        int[] series = await SeriesAsync(module, seed: 3, slot: 2, register: 0, samples: 400, step: TimeSpan.FromMilliseconds(100));

        Assert.That(await SeriesAsync(module, seed: 3, slot: 2, register: 0, samples: 400, step: TimeSpan.FromMilliseconds(100)), Is.EqualTo(series));
        double mean = series.Average();
        double deviation = Math.Sqrt(series.Average(v => (v - mean) * (v - mean)));
        Assert.That(mean, Is.EqualTo(2000).Within(10));
        Assert.That(deviation, Is.EqualTo(50).Within(10));

        await using SimHost host = await StartAsync("""{ "slot": 2, "type": "temperature", "name": "boiler", "noise": 0, "alarmHigh": 3000 }""");
        host.Device.SetRegister(2, 0, 2990);
        Assert.That(host.Device.ReadRegisters(2, 0, 2), Is.EqualTo(new[] { 2990, 0 }));
        await host.Device.SetConfigAsync(2, [new ConfigEntry(0x100, 15)]).Within();
        Assert.That(host.Device.ReadRegisters(2, 0, 2), Is.EqualTo(new[] { 3005, 1 }), "calibration offset; at or above alarmHigh");
        var refused = Assert.ThrowsAsync<SimDeviceException>(() => host.Device.SetConfigAsync(2, [new ConfigEntry(0x100, 20000)]));
        Assert.That(refused!.Status, Is.EqualTo(McpStatus.BadRequest));
    }

    [Test]
    public async Task Digital_inputs_toggle_on_their_schedule_and_can_be_inverted()
    {
        await using SimHost host = await StartAsync("""{ "slot": 1, "type": "digital-input", "name": "in", "inputs": 3, "toggle": [ { "input": 0, "periodMs": 1000 }, { "input": 2, "periodMs": 500, "phaseMs": 200 } ] }""");

        Assert.That(host.Device.ReadRegisters(1, 0, 3), Is.EqualTo(new[] { 0, 0, 0 }));
        _clock.Advance(TimeSpan.FromMilliseconds(700));
        Assert.That(host.Device.ReadRegisters(1, 0, 3), Is.EqualTo(new[] { 0, 0, 1 }), "input 2 flips at 700 ms (phase 200 + 500)");
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.That(host.Device.ReadRegisters(1, 0, 3), Is.EqualTo(new[] { 1, 0, 1 }));
        Assert.That(host.Device.ReadRegister(1, 0x80), Is.EqualTo(0b101), "the mask register");

        host.Device.SetRegister(1, 1, 1);
        await host.Device.SetConfigAsync(1, [new ConfigEntry(0x100, 0b001)]).Within();
        Assert.That(host.Device.ReadRegisters(1, 0, 3), Is.EqualTo(new[] { 0, 1, 1 }), "input 0 inverted; input 1 set by the test");
        Assert.That(host.Device.Modules[0].Registers.Single(r => r.Address == 0).IsWritable, Is.False);
    }

    [Test]
    public async Task Analog_inputs_follow_a_sine_or_a_bounded_random_walk_times_the_gain()
    {
        await using SimHost host = await StartAsync("""
            { "slot": 1, "type": "analog-input", "name": "ain", "channels": [
              { "waveform": "sine", "offset": 1000, "amplitude": 500, "periodMs": 4000 },
              { "name": "walk", "waveform": "random-walk", "start": 0, "step": 50, "min": -100, "max": 100, "periodMs": 10 } ] }
            """);

        Assert.That(host.Device.ReadRegister(1, 0), Is.EqualTo(1000));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(host.Device.ReadRegister(1, 0), Is.EqualTo(1500));
        await host.Device.SetConfigAsync(1, [new ConfigEntry(0x100, 500)]).Within();
        Assert.That(host.Device.ReadRegister(1, 0), Is.EqualTo(750), "gain 500 ‰");

        var seen = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            seen.Add(host.Device.ReadRegister(1, 1) * 2);
        }

        Assert.That(seen, Is.SubsetOf(new[] { -100, -50, 0, 50, 100 }).And.Count.EqualTo(5));
        Assert.That(host.Device.Modules[0].Registers.Select(r => r.Name), Is.EqualTo(new[] { "ain0", "walk", "gainPermille" }));
    }

    [Test]
    public async Task Counters_count_at_the_configured_rate()
    {
        await using SimHost host = await StartAsync("""{ "slot": 1, "type": "counter", "name": "meter", "counters": 2, "ratePerMinute": 600 }""");
        await using SimClient client = SimClient.Start(host.ConnectInMemory());

        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.That(await client.Mcp.ReadAsync(1, 0, 2).Within(), Is.EqualTo(new[] { 30, 30 }));

        await client.Mcp.WriteAsync(1, 1, new[] { 0 }).Within();
        await client.Mcp.ConfigSetAsync(1, 0, [new ConfigEntry(0x100, 60)]).Within();
        _clock.Advance(TimeSpan.FromSeconds(2));

        Assert.That(await client.Mcp.ReadAsync(1, 0, 2).Within(), Is.EqualTo(new[] { 32, 2 }), "the new rate (1/s) applies from the change; counter 1 was reset");
    }

    [Test]
    public async Task Relays_start_in_the_configured_power_on_state()
    {
        await using SimHost host = await StartAsync("""{ "slot": 1, "type": "relay", "name": "relays", "outputs": 8, "powerOnMask": 129 }""");

        Assert.That(host.Device.ReadRegister(1, 0x80), Is.EqualTo(0b1000_0001));
        host.Device.SetRegister(1, 0x80, 0b0110);
        await host.Device.SetConfigAsync(1, [new ConfigEntry(0x100, 0b0011)]).Within();
        Assert.That(host.Device.ReadRegisters(1, 0, 4), Is.EqualTo(new[] { 0, 1, 1, 0 }), "a new power-on mask waits for the next boot");

        await host.RebootAsync().Within();

        Assert.That(host.Device.ReadRegisters(1, 0, 4), Is.EqualTo(new[] { 1, 1, 0, 0 }));
    }

    [Test]
    public async Task Gpio_pins_go_through_the_GpioController_and_its_driver()
    {
        var driver = new SimulatedGpioDriver();
        await using SimHost host = await StartAsync(
            """{ "slot": 1, "type": "gpio", "name": "gpio", "pins": [ { "pin": 17, "mode": "output", "name": "led" }, { "pin": 27, "mode": "input-pullup", "name": "button" }, { "pin": 22, "mode": "input" } ] }""",
            o => o.GpioDriverFactory = () => driver);
        await using SimClient client = SimClient.Start(host.ConnectInMemory());

        Assert.That(driver.GetConfiguredMode(17), Is.EqualTo(PinMode.Output));
        Assert.That(driver.GetConfiguredMode(27), Is.EqualTo(PinMode.InputPullUp));
        Assert.That(await client.Mcp.ReadAsync(1, 0, 3).Within(), Is.EqualTo(new[] { 0, 1, 0 }), "the pull-up holds the button high");

        await client.Mcp.WriteAsync(1, 0, new[] { 1 }).Within();
        driver.SetInput(27, PinValue.Low);
        driver.SetInput(22, PinValue.High);

        Assert.That(driver.GetLevel(17), Is.EqualTo(PinValue.High), "WRITE drove the pin");
        Assert.That(await client.Mcp.ReadAsync(1, 0, 3).Within(), Is.EqualTo(new[] { 1, 0, 1 }));
        Assert.That(await client.StatusOfAsync(McpCommand.Write, Body.Write(1, 1, 1)), Is.EqualTo(McpStatus.ReadOnly), "an input pin");
        Assert.That(await client.StatusOfAsync(McpCommand.Write, Body.Write(1, 0, 2)), Is.EqualTo(McpStatus.BadRequest));
        Assert.That((await client.Mcp.DescribeAsync(1).Within()).Select(r => r.Name), Is.EqualTo(new[] { "led", "button", "gpio22" }));
    }

    [Test]
    public async Task A_plug_in_module_type_is_registered_by_name_and_served_like_the_built_in_ones()
    {
        var fans = new FanModuleType();
        var types = SimModuleTypes.CreateDefault().Register(fans);
        var definition = DeviceDefinition.Parse("""
            { "deviceId": "plug", "firmware": "0.1.0", "modules": [ { "slot": 5, "type": "fan", "name": "fan", "maxRpm": 3000 } ] }
            """);
        await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Device = definition, ModuleTypes = types, TimeProvider = _clock }).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());

        DeviceInfo info = await client.Mcp.HelloAsync().Within();
        await client.Mcp.WriteAsync(5, 0, new[] { 50 }).Within();

        Assert.That(info.Modules.Single(), Is.EqualTo(new ModuleInfo(5, 0x8001, 3, "fan")));
        Assert.That(await client.Mcp.ReadAsync(5, 0, 2).Within(), Is.EqualTo(new[] { 50, 1500 }));
        Assert.That(await client.StatusOfAsync(McpCommand.Write, Body.Write(5, 0, 101)), Is.EqualTo(McpStatus.BadRequest), "the module validates its values");

        fans.Broken = true;
        Assert.That(await client.RawAsync(McpCommand.Read, 5, 1, 0, 1), Is.EqualTo((McpStatus.InternalError, "IOException: the fan's tachometer does not answer"u8.ToArray())), "a module failure is a device-side failure");

        var typo = DeviceDefinition.Parse("""{ "deviceId": "plug", "firmware": "0.1.0", "modules": [ { "slot": 5, "type": "fan", "name": "fan", "maxRPM": 3000 } ] }""");
        var error = Assert.ThrowsAsync<DefinitionException>(() => SimHost.StartAsync(new SimHostOptions { Device = typo, ModuleTypes = types }));
        Assert.That(error!.JsonPath, Is.EqualTo("$.modules[0].maxRPM"), "unknown settings of a plug-in are reported too");
    }

    private async Task<SimHost> StartAsync(string module, Action<SimHostOptions>? configure = null, ulong seed = 1)
    {
        DeviceDefinition definition = DeviceDefinition.Parse($$"""{ "deviceId": "t", "firmware": "1.0.0", "seed": {{seed}}, "modules": [ {{module}} ] }""");
        var options = new SimHostOptions { Device = definition, TimeProvider = _clock };
        configure?.Invoke(options);
        return await SimHost.StartAsync(options).Within();
    }

    private async Task<int[]> SeriesAsync(string module, ulong seed, byte slot, ushort register, int samples = 100, TimeSpan? step = null)
    {
        _clock = SimHosts.NewClock();
        await using SimHost host = await StartAsync(module, seed: seed);
        int[] values = new int[samples];
        for (int i = 0; i < samples; i++)
        {
            _clock.Advance(step ?? TimeSpan.FromMilliseconds(10));
            values[i] = host.Device.ReadRegister(slot, register);
        }

        return values;
    }

    /// <summary>A plug-in type, as a user would write one (for example around an Iot.Device.Bindings fan controller).</summary>
    private sealed class FanModuleType : ISimModuleType
    {
        public string Name => "fan";

        public volatile bool Broken;

        public SimModule Create(SimModuleContext context) => new FanModule(context, (int)context.Settings.GetInteger("maxRpm", 1000, 1, 100_000), this);
    }

    private sealed class FanModule : SimModule
    {
        private readonly int _maxRpm;
        private readonly FanModuleType _type;
        private int _duty;

        public FanModule(SimModuleContext context, int maxRpm, FanModuleType type)
            : base(context, typeCode: 0x8001, version: 3)
        {
            _maxRpm = maxRpm;
            _type = type;
            AddRegister(0, "duty", RegisterAccess.Read | RegisterAccess.Write);
            AddRegister(1, "rpm", RegisterAccess.Read);
        }

        protected override int ReadRegister(ushort address) => address == 0 ? _duty
            : _type.Broken ? throw new IOException("the fan's tachometer does not answer") : _duty * _maxRpm / 100;

        protected override string? ValidateWrite(ushort address, int value) => value is >= 0 and <= 100 ? null : "duty is 0 to 100 %";

        protected override void WriteRegister(ushort address, int value) => _duty = value;

        protected override void OnBoot() => _duty = 0;
    }
}
