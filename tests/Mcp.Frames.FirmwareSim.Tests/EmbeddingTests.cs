using Mcp.Frames.FirmwareSim.Device;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>The in-process API for tests and demos: start a host, set and read values, inject faults, observe requests.</summary>
public sealed class EmbeddingTests
{
    [Test]
    public async Task A_host_on_an_in_memory_pipe_is_driven_from_the_test()
    {
        await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Device = SimHosts.Example }).Within();
        var opened = new TaskCompletionSource<SimLinkInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.LinkOpened += link => opened.TrySetResult(link);
        await using SimClient client = SimClient.Start(host.ConnectInMemory("demo"));

        host.Device.SetRegister(2, 0, 8125);
        int[] values = await client.Mcp.ReadAsync(2, 0, 2).Within();

        Assert.That(values, Is.EqualTo(new[] { 8125, 1 }), "81.25 °C is above the default 80 °C alarm");
        Assert.That((await opened.Task.Within()).Name, Is.EqualTo("demo"));

        // The device logs a request once it has answered it: the answer can reach the client a moment earlier.
        await host.Requests.WaitForAsync(r => r.Command == McpCommand.Read).Within();
        SimRequestRecord read = host.Requests.Snapshot().Single();
        Assert.That((read.CommandName, read.Link, read.Status, read.Body.ToArray()), Is.EqualTo(("READ", "demo", McpStatus.Ok, new byte[] { 2, 0, 0, 2 })));
        Assert.That(host.Endpoints, Is.Empty);
    }

    [Test]
    public async Task A_link_event_handler_that_throws_neither_stops_the_host_nor_uses_up_its_tcp_links()
    {
        var options = new SimHostOptions { Device = SimHosts.Example, MaxTcpLinks = 2 };
        options.Endpoints.Add(SimEndpoint.Tcp(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)));
        await using SimHost host = await SimHost.StartAsync(options).Within();
        int opened = 0;
        host.LinkOpened += _ =>
        {
            Interlocked.Increment(ref opened);
            throw new InvalidOperationException("a test rig's handler bug");
        };
        host.LinkClosed += _ => throw new InvalidOperationException("another one");

        // Five links one after another through a cap of two: each closed link gives its slot back. A link that comes
        // before the host has seen the previous one close may be refused: a client then tries again (at most 50 times).
        int served = 0;
        for (int attempt = 0; attempt < 50 && served < 5; attempt++)
        {
            try
            {
                await using SimClient client = SimClient.Start(await new Mcp.Frames.Transports.TcpTransportConnector("127.0.0.1", host.Endpoints[0].TcpEndPoint!.Port).ConnectAsync().Within());
                if ((await client.Mcp.HelloAsync(new Mcp.Frames.Connections.RequestOptions { Timeout = TimeSpan.FromSeconds(2) }).Within()).DeviceId == "sim-001")
                {
                    served++;
                }
            }
            catch (Exception ex) when (ex is Mcp.Frames.Connections.FrameConnectionException or Mcp.Frames.Transports.TransportException)
            {
                await Task.Delay(20);
            }
        }

        Assert.That(served, Is.EqualTo(5), "links keep being served");

        // LinkOpened is raised before the link's session serves anything: every link answered was reported.
        Assert.That(opened, Is.EqualTo(5), "and each was reported");
    }

    [Test]
    public async Task Requests_can_be_awaited_as_they_arrive()
    {
        await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Device = SimHosts.Example }).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());
        Task<SimRequestRecord> refused = host.Requests.WaitForAsync(r => r.Status != McpStatus.Ok);

        await client.Mcp.PingAsync().Within();
        Assert.That(refused.IsCompleted, Is.False);
        Assert.That(await client.StatusOfAsync(McpCommand.Write, Body.Write(3, 1, 5)), Is.EqualTo(McpStatus.ReadOnly));

        SimRequestRecord record = await refused.Within();
        Assert.That((record.CommandName, record.Status, record.Detail), Is.EqualTo(("WRITE", McpStatus.ReadOnly, "register 1 (ticks) of slot 3 is read-only")));
        Assert.That(host.Requests.Count, Is.EqualTo(2));
        host.Requests.Clear();
        Assert.That((host.Requests.Count, host.Requests.Snapshot().Count), Is.EqualTo((0L, 0)));
    }

    [Test]
    public async Task The_embedding_API_refuses_what_the_wire_would_refuse()
    {
        await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Device = SimHosts.Example }).Within();

        Assert.That(Assert.Throws<SimDeviceException>(() => host.Device.SetRegister(9, 0, 1))!.Status, Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(Assert.Throws<SimDeviceException>(() => host.Device.SetRegister(3, 99, 1))!.Status, Is.EqualTo(McpStatus.NoSuchRegister));
        Assert.That(Assert.Throws<SimDeviceException>(() => host.Device.SetRegister(3, 0, 1))!.Status, Is.EqualTo(McpStatus.ReadOnly), "configuration goes through SetConfigAsync");
        Assert.That(Assert.Throws<SimDeviceException>(() => host.Device.ReadRegister(3, 3))!.Status, Is.EqualTo(McpStatus.BadRequest), "write-only");
        Assert.That(Assert.ThrowsAsync<SimDeviceException>(() => host.Device.SetConfigAsync(3, [new ConfigEntry(0, 1)], expectedVersion: 3))!.Status, Is.EqualTo(McpStatus.VersionConflict));
        Assert.That(await host.Device.SetConfigAsync(3, [new ConfigEntry(0, 1)]).Within(), Is.EqualTo(1));
        host.Device.SetRegister(3, 1, 500);
        Assert.That(host.Device.ReadRegister(3, 1), Is.EqualTo(500), "a read-only register set from outside");
    }

    [Test]
    public async Task A_host_on_loopback_port_0_reports_the_port_it_got()
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.Tcp).Within();

        Assert.That(host.TcpEndPoint!.Port, Is.Not.Zero);
        Assert.That(host.Endpoints.Single().ReadyLine, Is.EqualTo($"listening tcp 127.0.0.1:{host.TcpEndPoint.Port}"));
        await using SimClient client = await SimClient.ConnectAsync(host, LinkKind.Tcp);
        await client.Mcp.HelloAsync().Within();
    }

    [Test]
    public async Task Faults_are_injected_and_cleared_while_links_run()
    {
        await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Device = SimHosts.Example, Faults = new FaultSettings { Seed = 12 } }).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());
        await client.Mcp.PingAsync().Within();

        host.Faults.Update(f => f with { Outbound = new LinkFaults { CorruptByte = 1 } });
        Assert.ThrowsAsync<Connections.RequestTimeoutException>(() => client.Mcp.PingAsync(options: new Connections.RequestOptions { Timeout = TimeSpan.FromMilliseconds(100), MaxRetries = 0 }).Within());

        // Under load the device may answer after the client gave up: clear the fault only once the answer went out
        // corrupted, or it would go out clean (and be dropped as a late answer) and the client would see no damage.
        using (CancellationTokenSource deadline = Bounded.Deadline())
        {
            while (host.Faults.Counters.BytesCorrupted == 0)
            {
                await Task.Delay(5, deadline.Token);
            }
        }

        host.Faults.Clear();

        await client.Mcp.PingAsync().Within();
        Assert.That(client.Connection.ReceiverCounters.BadChecksum + client.Connection.ReceiverCounters.SkippedBytes, Is.GreaterThan(0), "the client saw the corrupted answer");
        Assert.That(host.Faults.Current.Seed, Is.EqualTo(12), "Clear keeps the seed");
    }
}
