using Mcp.Frames.Devices;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Devices;

public class DesiredConfigurationTests
{
    [Test]
    public void Parses_devices_slots_and_registers()
    {
        DesiredConfiguration config = DesiredConfiguration.Parse("""{ "sim-001": { "3": { "0": 150, "7": -2 } }, "other": {} }""");
        Assert.That(config.DeviceIds, Is.EquivalentTo(new[] { "sim-001", "other" }));
        Assert.That(config.TryGet("sim-001", out var slots), Is.True);
        Assert.That(slots[3][0], Is.EqualTo(150));
        Assert.That(slots[3][7], Is.EqualTo(-2));
        Assert.That(config.TryGet("missing", out _), Is.False);
    }

    [TestCase("""[1,2]""", "$: must be an object of device ids, not an array")]
    [TestCase("""{ "d": 5 }""", "$['d']: must be an object of slots, not the number 5")]
    [TestCase("""{ "d": { "x": {} } }""", "$['d']['x']: the key 'x' must be a slot number 0-255")]
    [TestCase("""{ "d": { "300": {} } }""", "$['d']['300']: the key '300' must be a slot number")]
    [TestCase("""{ "d": { "1": { "-1": 3 } } }""", "$['d']['1']['-1']: the key '-1' must be a register address")]
    [TestCase("""{ "d": { "1": { "0": "high" } } }""", "$['d']['1']['0']: must be a 32-bit integer, not the string \"high\"")]
    [TestCase("""{ "d": { "1": { "0": 4294967296 } } }""", "$['d']['1']['0']: must be a 32-bit integer")]
    [TestCase("""{ "d": { "1": { "0": 1.5 } } }""", "must be a 32-bit integer, not the number 1.5")]
    [TestCase("""{ "d": """, "not valid JSON")]
    [TestCase("""{ "d": { "1": { "0": 5 }, "01": { "2": 7 } } }""", "$['d']['01']: slot 1 is given twice")]
    [TestCase("""{ "d": { "1": { "0": 5, "00": 6 } } }""", "$['d']['1']['00']: register 0 is given twice")]
    [TestCase("""{ "d": { "1": { "0": 5, "0": 6 } } }""", "$['d']['1']['0']: register 0 is given twice")]
    [TestCase("""{ "d": { "1": { "0": 5 } }, "d": { "1": { "1": 6 } } }""", "$['d']: device d is given twice")]
    public void Bad_input_is_refused_naming_the_json_path(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Parse(json, "desired.json"));
        Assert.That(ex!.Message, Does.StartWith("desired.json: ").And.Contain(expected));
    }

    [Test]
    public void A_file_larger_than_the_bound_or_an_endless_device_is_refused_without_reading_it_all()
    {
        string big = Path.GetTempFileName();
        try
        {
            File.WriteAllText(big, "{ \"d\": {} }" + new string(' ', DesiredConfiguration.MaxFileBytes));
            var tooBig = Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Load(big));
            Assert.That(tooBig!.Message, Does.Contain(big).And.Contain("larger than 1024 KiB"));

            File.WriteAllText(big, "\uFEFF{ \"d\": { \"1\": { \"0\": 5 } } }" + new string(' ', 1000));
            Assert.That(DesiredConfiguration.Load(big).TryGet("d", out var slots) && slots[1][0] == 5, Is.True, "a file under the bound, with a byte-order mark, still loads");
        }
        finally
        {
            File.Delete(big);
        }

        var endless = Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Load("/dev/zero"));
        Assert.That(endless!.Message, Does.Contain("/dev/zero").And.Contain("larger than"));
    }
}
