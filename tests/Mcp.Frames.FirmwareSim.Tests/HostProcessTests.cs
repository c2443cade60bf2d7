using System.Text.RegularExpressions;
using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>The firmware-sim executable as a process: ready lines, exit codes, signals, a crash during CONFIG_SET.</summary>
[Parallelizable(ParallelScope.Self)]
public sealed partial class HostProcessTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public async Task It_prints_the_listening_line_serves_a_client_and_exits_0_on_SIGTERM()
    {
        await using SimProcess sim = SimProcess.Start("--tcp", "127.0.0.1:0", "--log-level", "warning");

        string line = await sim.ReadLineAsync();

        Match match = TcpLine().Match(line);
        Assert.That(match.Success, Is.True, $"ready line: '{line}'");
        await using (SimClient client = SimClient.Start(await new TcpTransportConnector("127.0.0.1", int.Parse(match.Groups[1].Value)).ConnectAsync().Within()))
        {
            DeviceInfo info = await client.Mcp.HelloAsync().Within();
            Assert.That((info.DeviceId, info.Modules.Count), Is.EqualTo(("sim-builtin", 7)), "the built-in device: one module of each type");
        }

        sim.Signal(SimProcess.SigTerm);
        Assert.That(await sim.WaitForExitAsync(), Is.Zero, sim.StandardError);
    }

    [Test]
    public async Task More_connections_than_descriptors_are_refused_beyond_max_links_and_the_host_serves_again_once_they_close()
    {
        // 300 descriptors (the host uses about 80 before any link, and one per link), 260 connections: the cap on
        // links keeps the host below its descriptor limit (the next test goes past it).
        await using SimProcess sim = SimProcess.Start(openFiles: 300, "--tcp", "127.0.0.1:0", "--max-links", "20", "--log-level", "warning");
        int port = await TcpPortAsync(sim);

        // More connections than the host has descriptors for: the kernel accepts them into the backlog, the host cannot.
        var sockets = new List<System.Net.Sockets.Socket>();
        try
        {
            await ConnectAsync(sockets, port, 260);

            await Bounded.UntilAsync(() => sim.StandardError.Contains("20 TCP links are served already"), "the host refuses links beyond --max-links", TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (System.Net.Sockets.Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        // The descriptors come back as those links end (the host still accepts and ends the ones queued in the
        // backlog): a new client is served. A client retries, as this one does, at most 10 times.
        string? served = null;
        var failures = new List<string>();
        for (int attempt = 0; attempt < 10 && served is null; attempt++)
        {
            try
            {
                await using SimClient client = SimClient.Start(await new TcpTransportConnector("127.0.0.1", port).ConnectAsync().Within());
                served = (await client.Mcp.HelloAsync(new RequestOptions { Timeout = TimeSpan.FromSeconds(2) }).Within()).DeviceId;
            }
            catch (Exception ex) when (ex is FrameConnectionException or TransportException)
            {
                failures.Add(ex.Message);
            }
        }

        Assert.That(served, Is.EqualTo("sim-builtin"), string.Join(Environment.NewLine, failures) + Environment.NewLine + sim.StandardError);

        Assert.That(sim.StandardError, Does.Not.Contain("the listener stops").And.Not.Contain("cannot accept for now"));
        sim.Signal(SimProcess.SigTerm);
        Assert.That(await sim.WaitForExitAsync(), Is.Zero, sim.StandardError);
    }

    [Test]
    public async Task Out_of_descriptors_the_listener_pauses_and_accepts_the_waiting_clients_once_links_end()
    {
        // 300 descriptors (the host uses about 80 before any link, and one per link) and no cap below that: the
        // listener runs out of descriptors with clients still in the kernel's backlog. It used to end there (its
        // retry timer had to start the runtime's timer thread, which needs descriptors) and the process aborted.
        // (That needs a host that has armed no timer before: true of this one with no heartbeat and no link traffic.)
        const int Clients = 260;
        await using SimProcess sim = SimProcess.Start(openFiles: 300, "--tcp", "127.0.0.1:0", "--max-links", "1000", "--log-level", "information");
        int port = await TcpPortAsync(sim);

        var sockets = new List<System.Net.Sockets.Socket>();
        try
        {
            await ConnectAsync(sockets, port, Clients);

            await Bounded.UntilAsync(() => sim.StandardError.Contains("cannot accept for now"), "the listener pauses when the host is out of descriptors", TimeSpan.FromSeconds(30));
            Assert.That(OpenedLinks(sim), Is.LessThan(Clients), "some clients wait in the backlog");

            // 100 links end: their descriptors come back, and the listener takes every client that waited.
            for (int i = 0; i < 100; i++)
            {
                sockets[i].Dispose();
            }

            await Bounded.UntilAsync(() => sim.StandardError.Contains("accepting again after"), "the listener accepts again", TimeSpan.FromSeconds(30));
            await Bounded.UntilAsync(() => OpenedLinks(sim) == Clients, "every waiting client gets its link", TimeSpan.FromSeconds(30));

            await using SimClient client = SimClient.Start(await new TcpTransportConnector("127.0.0.1", port).ConnectAsync().Within());
            Assert.That((await client.Mcp.HelloAsync().Within()).DeviceId, Is.EqualTo("sim-builtin"));
        }
        finally
        {
            foreach (System.Net.Sockets.Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        Assert.That(sim.StandardError, Does.Not.Contain(" fail ").And.Not.Contain(" crit ").And.Not.Contain("the listener stops"));
        sim.Signal(SimProcess.SigTerm);
        Assert.That(await sim.WaitForExitAsync(), Is.Zero, sim.StandardError);

        static int OpenedLinks(SimProcess sim) => LinkOpened().Count(sim.StandardError);
    }

    [Test]
    public async Task SIGINT_shuts_down_cleanly_with_exit_code_0()
    {
        await using SimProcess sim = SimProcess.StartWithSigIntDefault("--tcp", "127.0.0.1:0", "--log-level", "none");
        await sim.ReadLineAsync();

        sim.Signal(SimProcess.SigInt);

        Assert.That(await sim.WaitForExitAsync(), Is.Zero, sim.StandardError);
    }

    [Test]
    public async Task It_serves_a_pseudo_terminal_with_a_stable_link()
    {
        string link = _dir.File("mcp-sim-tty");
        await using SimProcess sim = SimProcess.Start("--pty", "--link", link, "--log-level", "none");

        string line = await sim.ReadLineAsync();

        Match match = PtyLine().Match(line);
        Assert.That(match.Success, Is.True, $"ready line: '{line}'");
        Assert.That(match.Groups[2].Value, Is.EqualTo(link));
        Assert.That(new FileInfo(link).LinkTarget, Is.EqualTo(match.Groups[1].Value));
        await using (SimClient client = SimClient.Start(await new SerialTransportConnector(new SerialTransportOptions { PortName = link }).ConnectAsync().Within()))
        {
            Assert.That((await client.Mcp.HelloAsync().Within()).DeviceId, Is.EqualTo("sim-builtin"));
            Assert.That(await client.Mcp.ReadAsync(7, 0).Within(), Is.EqualTo(new[] { 100 }));
        }

        sim.Signal(SimProcess.SigTerm);
        Assert.That(await sim.WaitForExitAsync(), Is.Zero, sim.StandardError);
        Assert.That(File.Exists(link) || new FileInfo(link).LinkTarget is not null, Is.False, "the link is removed at shutdown");
    }

    [Test]
    public async Task It_serves_a_serial_port()
    {
        await using SocatPair pair = await SocatPair.StartAsync(_dir);
        await using SimProcess sim = SimProcess.Start("--serial", pair.A, "--baud", "57600", "--log-level", "none");

        Assert.That(await sim.ReadLineAsync(), Is.EqualTo($"listening serial {pair.A} baud 57600"));
        await using SimClient client = SimClient.Start(await new SerialTransportConnector(new SerialTransportOptions { PortName = pair.B, BaudRate = 57600 }).ConnectAsync().Within());
        await client.Mcp.HelloAsync().Within();
        await client.Mcp.WriteAsync(1, 0, new[] { 1 }).Within();
        Assert.That(await client.Mcp.ReadAsync(1, 0x80).Within(), Is.EqualTo(new[] { 1 }));

        sim.Signal(SimProcess.SigTerm);
        Assert.That(await sim.WaitForExitAsync(), Is.Zero, sim.StandardError);
    }

    [TestCase("--bogus", "--bogus")]
    [TestCase("--corrupt 2", "--corrupt")]
    [TestCase("--link /tmp/x", "--link")]
    public async Task A_bad_flag_exits_2_and_names_the_flag(string args, string flag)
    {
        await using SimProcess sim = SimProcess.Start(args.Split(' '));

        Assert.That(await sim.WaitForExitAsync(), Is.EqualTo(2), sim.StandardError);
        Assert.That(sim.StandardError, Does.Contain(flag));
    }

    [Test]
    public async Task A_bad_device_file_exits_2_and_names_the_json_path()
    {
        string file = _dir.File("device.json");
        await File.WriteAllTextAsync(file, SimHosts.ExampleJson.Replace("\"access\": \"w\"", "\"access\": \"wo\"", StringComparison.Ordinal));
        await using SimProcess sim = SimProcess.Start("--device", file, "--tcp", "127.0.0.1:0");

        Assert.That(await sim.WaitForExitAsync(), Is.EqualTo(2), sim.StandardError);
        Assert.That(sim.StandardError, Does.Contain(file).And.Contain("$.modules[2].registers[3].access").And.Contain("one of r, w, rw, config"));
    }

    [Test]
    public async Task The_configuration_survives_a_process_killed_while_writing_it()
    {
        string device = _dir.File("device.json");
        string state = _dir.File("state");
        await File.WriteAllTextAsync(device, SimHosts.ExampleJson);
        uint acknowledged = 0;
        await using (SimProcess sim = SimProcess.Start("--device", device, "--state", state, "--tcp", "127.0.0.1:0", "--log-level", "none"))
        {
            int port = int.Parse(TcpLine().Match(await sim.ReadLineAsync()).Groups[1].Value);
            SimClient client = SimClient.Start(await new TcpTransportConnector("127.0.0.1", port).ConnectAsync().Within());
            for (uint version = 0; version < 25; version++)
            {
                acknowledged = await client.Mcp.ConfigSetAsync(3, version, Entries(version + 1)).Within();
            }

            // Kill the process while CONFIG_SETs are streaming in: one of them is mid-write.
            Task<uint>[] inFlight = [.. Enumerable.Range(0, 5).Select(i => client.Mcp.ConfigSetAsync(3, acknowledged + (uint)i, Entries(acknowledged + (uint)i + 1)))];
            await inFlight[0].Within();
            acknowledged++;
            sim.Signal(SimProcess.SigKill);
            await sim.WaitForExitAsync();
            foreach (Task<uint> late in inFlight.Skip(1))
            {
                try
                {
                    acknowledged = Math.Max(acknowledged, await late.WaitAsync(TimeSpan.FromSeconds(10)));
                }
                catch (Exception ex) when (ex is Connections.ConnectionClosedException or Connections.RemoteStatusException or Connections.RequestTimeoutException)
                {
                    // Killed before answering: it may or may not have been stored.
                }
            }

            await client.DisposeAsync();
        }

        await using SimProcess restarted = SimProcess.Start("--device", device, "--state", state, "--tcp", "127.0.0.1:0", "--log-level", "none");
        int newPort = int.Parse(TcpLine().Match(await restarted.ReadLineAsync()).Groups[1].Value);
        await using SimClient again = SimClient.Start(await new TcpTransportConnector("127.0.0.1", newPort).ConnectAsync().Within());
        ConfigSnapshot loaded = await again.Mcp.ConfigGetAsync(3).Within();

        Assert.That(loaded.Version, Is.InRange(acknowledged, acknowledged + 4), "every acknowledged CONFIG_SET survived");
        Assert.That(loaded.Entries, Is.EqualTo(Entries(loaded.Version)), "the values of exactly that version: never torn");
        Assert.That(Directory.GetFiles(state).Select(Path.GetFileName), Is.EquivalentTo(new[] { "config.json", "sim.lock" }));

        static ConfigEntry[] Entries(uint version) => [new ConfigEntry(0, (int)version), new ConfigEntry(4, -(int)version)];
    }

    /// <summary>The port of the host's "listening tcp" line.</summary>
    private static async Task<int> TcpPortAsync(SimProcess sim)
    {
        string line = await sim.ReadLineAsync();
        Match match = TcpLine().Match(line);
        Assert.That(match.Success, Is.True, $"ready line: '{line}'");
        return int.Parse(match.Groups[1].Value);
    }

    /// <summary>Opens <paramref name="count"/> plain connections to the host, each added to <paramref name="sockets"/> before it connects (the caller disposes them).</summary>
    private static async Task ConnectAsync(List<System.Net.Sockets.Socket> sockets, int port, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            sockets.Add(socket);
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port).Within();
        }
    }

    [GeneratedRegex(@"^listening tcp 127\.0\.0\.1:(\d+)$")]
    private static partial Regex TcpLine();

    [GeneratedRegex(@" info SimHost: Link tcp 127\.0\.0\.1:\d+ opened ")]
    private static partial Regex LinkOpened();

    [GeneratedRegex(@"^listening pty (/dev/pts/\d+) link (.+)$")]
    private static partial Regex PtyLine();
}
