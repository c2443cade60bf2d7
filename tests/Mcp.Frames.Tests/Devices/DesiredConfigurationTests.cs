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
        Assert.That(endless!.Message, Does.Contain("/dev/zero").And.Contain("not a regular file"));
    }

    [Test]
    public async Task A_fifo_or_an_empty_file_is_refused_at_once_instead_of_waiting_for_a_writer()
    {
        string directory = Directory.CreateTempSubdirectory("desired-").FullName;
        try
        {
            string fifo = Path.Combine(directory, "desired.json");
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
            {
                await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.That(mkfifo.ExitCode, Is.EqualTo(0), "mkfifo");
            }

            // Opening the FIFO would block until a writer came: the load runs on its own thread so that a regression
            // fails the test by the bound instead of hanging it.
            Task<InvalidDataException?> load = Task.Factory.StartNew(() => Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Load(fifo)), TaskCreationOptions.LongRunning);
            InvalidDataException? refused = await load.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(refused!.Message, Is.EqualTo($"Desired configuration {fifo}: cannot be read: it is empty, or is not a regular file (a FIFO or a device)"));

            // Through a symbolic link (which reports its own length) the same.
            string toFifo = Path.Combine(directory, "to-fifo.json");
            File.CreateSymbolicLink(toFifo, fifo);
            InvalidDataException? linked = await Task.Factory.StartNew(() => Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Load(toFifo)), TaskCreationOptions.LongRunning).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(linked!.Message, Does.Contain(toFifo).And.Contain("not a regular file"));

            string dangling = Path.Combine(directory, "dangling.json");
            File.CreateSymbolicLink(dangling, Path.Combine(directory, "gone.json"));
            Assert.That(Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Load(dangling))!.Message, Does.Contain("gone.json, which is not a file"));

            string empty = Path.Combine(directory, "empty.json");
            File.WriteAllText(empty, "");
            Assert.That(Assert.Throws<InvalidDataException>(() => DesiredConfiguration.Load(empty))!.Message, Does.Contain(empty).And.Contain("it is empty"));

            string link = Path.Combine(directory, "link.json");
            File.WriteAllText(empty, "{ \"d\": {} }");
            File.CreateSymbolicLink(link, empty);
            Assert.That(DesiredConfiguration.Load(link).TryGet("d", out _), Is.True, "a symbolic link to a regular file still loads");
        }
        finally
        {
            // A writer unblocks a load that did open the FIFO, so that its thread ends (opened for reading and writing,
            // which does not itself wait for a reader).
            try
            {
                using var unblock = new FileStream(Path.Combine(directory, "desired.json"), FileMode.Open, FileAccess.ReadWrite);
            }
            catch (IOException)
            {
            }

            Directory.Delete(directory, recursive: true);
        }
    }
}
