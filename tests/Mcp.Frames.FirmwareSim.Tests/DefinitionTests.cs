using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>The device definition is checked at start; a bad field is refused with its JSON path.</summary>
public sealed class DefinitionTests
{
    private const string Valid = """
        { "deviceId": "sim-001", "firmware": "1.2.3", "maxPayload": 256,
          "modules": [
            { "slot": 1, "type": "relay", "name": "relays", "outputs": 4 },
            { "slot": 2, "type": "temperature", "name": "boiler" },
            { "slot": 3, "type": "registers", "name": "custom",
              "registers": [
                { "address": 0, "name": "setpoint", "access": "config", "value": 100 },
                { "address": 1, "name": "ticks", "access": "r", "behavior": { "kind": "increment", "periodMs": 100 } },
                { "address": 2, "name": "output", "access": "rw", "value": 0 } ] } ],
          "faults": { "seed": 1 } }
        """;

    public static IEnumerable<TestCaseData> BadFields()
    {
        static TestCaseData Case(string from, string to, string path, string problem) =>
            new TestCaseData(Valid.Replace(from, to, StringComparison.Ordinal), path, problem).SetArgDisplayNames(path);

        yield return Case("\"deviceId\": \"sim-001\", ", "", "$.deviceId", "is required");
        yield return Case("\"1.2.3\"", "\"1.2\"", "$.firmware", "MAJOR.MINOR.PATCH");
        yield return Case("\"maxPayload\": 256", "\"maxPayload\": 8", "$.maxPayload", "from 32 to 65535");
        yield return Case("\"maxPayload\": 256", "\"maxPayload\": \"big\"", "$.maxPayload", "must be an integer");
        yield return Case("\"slot\": 2,", "\"slot\": 1,", "$.modules[1].slot", "already used by $.modules[0]");
        yield return Case("\"slot\": 2,", "\"slot\": 256,", "$.modules[1].slot", "from 0 to 255");
        yield return Case("\"type\": \"temperature\", ", "", "$.modules[1].type", "is required");
        yield return Case("\"faults\": { \"seed\": 1 }", "\"faults\": { \"seed\": 1, \"busy\": 2 }", "$.faults.busy", "from 0 to 1");
        yield return Case("\"faults\": { \"seed\": 1 }", "\"faults\": { \"outbound\": { \"dropframe\": 0.1 } }", "$.faults.outbound.dropframe", "not a known field");
        yield return Case("\"faults\": { \"seed\": 1 }", "\"fault\": { }", "$.fault", "not a known field");
    }

    public static IEnumerable<TestCaseData> BadModuleSettings()
    {
        static TestCaseData Case(string from, string to, string path, string problem) =>
            new TestCaseData(Valid.Replace(from, to, StringComparison.Ordinal), path, problem).SetArgDisplayNames(path);

        yield return Case("\"access\": \"rw\"", "\"access\": \"rx\"", "$.modules[2].registers[2].access", "one of r, w, rw, config");
        yield return Case("\"type\": \"relay\"", "\"type\": \"relais\"", "$.modules[0].type", "unknown module type \"relais\"");
        yield return Case("\"outputs\": 4", "\"outputs\": 40", "$.modules[0].outputs", "from 1 to 32");
        yield return Case("\"outputs\": 4", "\"ouputs\": 4", "$.modules[0].ouputs", "not a known field");
        yield return Case("\"address\": 2,", "\"address\": 1,", "$.modules[2].registers[2].address", "already used by $.modules[2].registers[1]");
        yield return Case("\"kind\": \"increment\", \"periodMs\": 100", "\"kind\": \"increment\"", "$.modules[2].registers[1].behavior.periodMs", "is required");
        yield return Case("\"kind\": \"increment\"", "\"kind\": \"square\"", "$.modules[2].registers[1].behavior.kind", "one of increment, random, sine, uptime");
        yield return Case("\"access\": \"r\", \"behavior\"", "\"access\": \"config\", \"behavior\"", "$.modules[2].registers[1].behavior", "only allowed on r and rw");
        yield return Case("\"name\": \"boiler\"", "\"name\": \"boiler\", \"noise\": -1", "$.modules[1].noise", "from 0 to 100000");
        yield return Case("\"name\": \"ticks\", ", "", "$.modules[2].registers[1].name", "is required");
    }

    [Test]
    public async Task The_example_from_the_issue_is_valid_and_builds()
    {
        DeviceDefinition definition = DeviceDefinition.Parse(Valid, "example.json");
        Assert.That((definition.DeviceId, definition.Firmware, definition.MaxPayload, definition.Faults.Seed), Is.EqualTo(("sim-001", new Version(1, 2, 3), 256, 1UL)));
        Assert.That(definition.Modules.Select(m => (m.Slot, m.Type, m.Name)), Is.EqualTo(new[] { ((byte)1, "relay", "relays"), ((byte)2, "temperature", "boiler"), ((byte)3, "registers", "custom") }));

        await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Device = definition }).Within();
        Assert.That(host.Device.Modules.Select(m => m.Registers.Count), Is.EqualTo(new[] { 6, 4, 3 }), "relays: 4 outputs, mask, powerOnMask");
    }

    [Test]
    public async Task The_built_in_device_has_one_module_of_each_type()
    {
        await using SimHost host = await SimHost.StartAsync(new SimHostOptions()).Within();

        Assert.That(host.Device.Modules.Select(m => m.TypeCode), Is.EqualTo(new ushort[] { 1, 2, 3, 4, 5, 6, 0x10 }));
        Assert.That(host.Device.DeviceId, Is.EqualTo("sim-builtin"));
    }

    [TestCaseSource(nameof(BadFields))]
    public void A_bad_field_is_refused_with_its_json_path(string json, string path, string problem)
    {
        var error = Assert.Throws<DefinitionException>(() => DeviceDefinition.Parse(json, "device.json"));

        Assert.That(error!.JsonPath, Is.EqualTo(path));
        Assert.That(error.Message, Does.StartWith($"device.json: {path}: ").And.Contain(problem));
    }

    [TestCaseSource(nameof(BadModuleSettings))]
    public void A_bad_module_setting_is_refused_at_start_with_its_json_path(string json, string path, string problem)
    {
        DeviceDefinition definition = DeviceDefinition.Parse(json, "device.json");

        var error = Assert.ThrowsAsync<DefinitionException>(() => SimHost.StartAsync(new SimHostOptions { Device = definition }));

        Assert.That(error!.JsonPath, Is.EqualTo(path));
        Assert.That(error.Message, Does.StartWith($"device.json: {path}: ").And.Contain(problem));
    }

    [Test]
    public void Malformed_json_names_the_line()
    {
        var error = Assert.Throws<DefinitionException>(() => DeviceDefinition.Parse("{\n  \"deviceId\": \"x\",\n  \"firmware\": 1.2.3\n}", "device.json"));

        Assert.That(error!.Message, Does.Contain("device.json").And.Contain("not valid JSON").And.Contain("line 3"));
    }

    [Test]
    public void A_missing_file_is_refused_with_its_name()
    {
        var error = Assert.Throws<DefinitionException>(() => DeviceDefinition.Load("/nonexistent/device.json"));

        Assert.That(error!.Message, Does.Contain("/nonexistent/device.json").And.Contain("cannot be read"));
    }

    [Test]
    public void Duplicate_fields_are_refused()
    {
        Assert.Throws<DefinitionException>(() => DeviceDefinition.Parse(Valid.Replace("\"maxPayload\": 256", "\"maxPayload\": 256, \"maxPayload\": 64", StringComparison.Ordinal)));
    }
}
