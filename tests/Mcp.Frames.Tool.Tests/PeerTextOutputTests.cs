using System.Text.Json.Nodes;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Tool.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary>A device whose strings carry terminal escapes and line breaks: text output shows them escaped, JSON exactly.</summary>
public sealed class PeerTextOutputTests
{
    private const string DeviceId = "evil\n12:00:00 crit forged\u001b[2J";
    private const string ModuleName = "mod\u202Eule";
    private const string RegisterName = "reg\u0007ister";

    private SimHost _host = null!;

    [SetUp]
    public async Task SetUp()
    {
        var device = new JsonObject
        {
            ["deviceId"] = DeviceId,
            ["firmware"] = "1.0.0",
            ["modules"] = new JsonArray(new JsonObject
            {
                ["slot"] = 1,
                ["type"] = "registers",
                ["name"] = ModuleName,
                ["registers"] = new JsonArray(new JsonObject { ["address"] = 0, ["name"] = RegisterName, ["access"] = "r", ["value"] = 5 }),
            }),
        };
        var options = new SimHostOptions { Device = DeviceDefinition.Parse(device.ToJsonString(), "peer-text.json") };
        options.Endpoints.Add(SimEndpoint.LoopbackTcp());
        _host = await SimHost.StartAsync(options).Within();
    }

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync().AsTask().Within();

    [Test]
    public async Task Hello_and_describe_print_the_device_strings_escaped()
    {
        ToolResult hello = await RunAsync("hello");
        ToolResult describe = await RunAsync("describe");

        Assert.Multiple(() =>
        {
            Assert.That(hello.ExitCode, Is.Zero, hello.ToString());
            Assert.That(hello.Out, Does.Contain("device      evil\\u000a12:00:00 crit forged\\u001b[2J"));
            Assert.That(hello.Out, Does.Contain("mod\\u202eule"));
            Assert.That(describe.ExitCode, Is.Zero, describe.ToString());
            Assert.That(describe.Out, Does.Contain("reg\\u0007ister"));
            Assert.That(hello.Out.Split('\n').Where(line => line.Contains("crit forged", StringComparison.Ordinal)), Has.Exactly(1).Items.StartsWith("device "), "no forged line of its own");
            foreach (string output in new[] { hello.Out, describe.Out })
            {
                Assert.That(output.Where(c => c != '\n' && (char.IsControl(c) || c == '\u202E')), Is.Empty, output);
            }
        });
    }

    [Test]
    public async Task Json_output_holds_the_device_strings_as_sent()
    {
        ToolResult hello = await RunAsync("hello", "--json");
        ToolResult describe = await RunAsync("describe", "--json");

        Assert.That(hello.ExitCode, Is.Zero, hello.ToString());
        Assert.That(describe.ExitCode, Is.Zero, describe.ToString());
        JsonObject device = hello.Json.Single();
        JsonObject module = describe.Json.Single();
        Assert.Multiple(() =>
        {
            Assert.That((string?)device["deviceId"], Is.EqualTo(DeviceId));
            Assert.That((string?)device["modules"]![0]!["name"], Is.EqualTo(ModuleName));
            Assert.That((string?)module["module"], Is.EqualTo(ModuleName));
            Assert.That((string?)module["registers"]![0]!["name"], Is.EqualTo(RegisterName));
        });
    }

    private Task<ToolResult> RunAsync(params string[] args) => McpTool.RunAsync([.. args, "--tcp", $"127.0.0.1:{_host.TcpEndPoint!.Port}"]);
}
