using System.Diagnostics;
using NUnit.Framework;

namespace Mcp.Frames.Gateway.Tests.Startup;

/// <summary>
/// The built gateway run as a process (<c>dotnet Mcp.Frames.Gateway.dll</c>) with bad settings: it must stop at start
/// with exit code 2 and a message naming the bad setting, without opening any link or HTTP port.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class BadSettingsTests
{
    private static readonly TimeSpan ProcessBound = TimeSpan.FromSeconds(30);

    private static async Task<(int ExitCode, string StdErr, string StdOut)> RunGatewayAsync(string contentRoot, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = contentRoot,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mcp.Frames.Gateway.dll"));
        foreach (string arg in (string[])["--urls", "http://127.0.0.1:0", "--contentRoot", contentRoot, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(ProcessBound);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the gateway did not stop within {ProcessBound.TotalSeconds:0} s; output: {await stdout} {await stderr}");
        }

        return (process.ExitCode, await stderr, await stdout);
    }

    /// <summary>A temporary content root (with an appsettings.json if given), deleted on disposal.</summary>
    private sealed class TempRoot : IDisposable
    {
        public TempRoot(string? appsettings = null)
        {
            Path = Directory.CreateTempSubdirectory("mcp-gw-start-").FullName;
            if (appsettings is not null)
            {
                File.WriteAllText(System.IO.Path.Combine(Path, "appsettings.json"), appsettings);
            }
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static void AssertRefused((int ExitCode, string StdErr, string StdOut) run, params string[] named)
    {
        TestContext.Out.WriteLine(run.StdErr);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2), "the exit code for invalid settings");
            foreach (string text in named)
            {
                Assert.That(run.StdErr, Does.Contain(text));
            }

            Assert.That(run.StdErr, Does.StartWith("gateway: "), "one message, no stack trace before it");
            Assert.That(run.StdOut, Does.Not.Contain("Now listening").And.Not.Contain("embedded simulated device"), "nothing was started");
        });
    }

    [Test]
    public async Task Bad_values_and_unknown_keys_on_the_command_line_stop_the_gateway_naming_each_setting()
    {
        using var temp = new TempRoot();
        string root = temp.Path;
        AssertRefused(
            await RunGatewayAsync(root, "--Gateway:Links:0:Tcp:Host=127.0.0.1", "--Gateway:Links:0:Tcp:Port=70000", "--Gateway:Links:0:Tcp:Hots=10.0.0.5", "--Gateway:Watchs:0:Slot=1", "--Gateway:HeartbeatMissedLimit=1"),
            "Gateway:Links:0:Tcp:Port: must be between 1 and 65535; 70000 was given.",
            "Gateway:HeartbeatMissedLimit: must be between 2 and 1000; 1 was given.",
            "Gateway:Links:0:Tcp:Hots: unknown setting",
            "Gateway:Watchs: unknown setting");
    }

    [Test]
    public async Task A_value_of_the_wrong_type_stops_the_gateway_naming_the_setting()
    {
        using var temp = new TempRoot();
        string root = temp.Path;
        AssertRefused(await RunGatewayAsync(root, "--Gateway:HeartbeatIntervalMs=often"), "'often'", "Gateway:HeartbeatIntervalMs");
        (int exitCode, string stdErr, string stdOut) empty = await RunGatewayAsync(root, "--Gateway:HeartbeatIntervalMs=");
        AssertRefused(empty, "Gateway:HeartbeatIntervalMs");
        Assert.That(empty.stdErr, Does.Not.Contain("Index was outside the bounds"));
    }

    [Test]
    public async Task A_value_of_the_wrong_type_inside_a_list_entry_stops_the_gateway_instead_of_dropping_the_entry()
    {
        // The configuration binder drops a list entry with a value it cannot convert: without this check the only link
        // would vanish and the gateway would start its embedded demo device instead.
        using var temp = new TempRoot();
        string root = temp.Path;
        AssertRefused(
            await RunGatewayAsync(
                root,
                "--Gateway:Links:0:Tcp:Host=127.0.0.1",
                "--Gateway:Links:0:Tcp:Port=abc",
                "--Gateway:Links:1:Tcp:Host=127.0.0.1",
                "--Gateway:Links:1:Tcp:Port=5020",
                "--Gateway:Links:1:Tcp:Tls=maybe",
                "--Gateway:Watches:0:Slot=x",
                "--Gateway:MaxBackoffMs=99",
                "--Gateway:HeartbeatIntervalMs=3000"),
            "Gateway:Links:0:Tcp:Port: 'abc' is not a whole number",
            "Gateway:Links:1:Tcp:Tls: 'maybe' is not true or false.",
            "Gateway:Watches:0:Slot: 'x' is not a whole number",
            "Gateway:MaxBackoffMs: must be between 100 and 3600000; 99 was given.",
            "Gateway:DegradedAfterSilenceMs: must be longer than HeartbeatIntervalMs (3000 ms); 2500 was given.");
    }

    [TestCase("http://127.0.0.1:5080", true)]
    [TestCase("http://localhost:5080/", true)]
    [TestCase("http://[::1]:5080", true)]
    [TestCase("http://0.0.0.0:5080", true)]
    [TestCase("https://*:5443", true)]
    [TestCase("http://+:80", true)]
    [TestCase("http://gateway.local", true)]
    [TestCase("http://unix:/run/mcp-gateway.sock", true)]
    [TestCase("http://127.0.0.1:abc", false)]
    [TestCase("http://localhost:", false)]
    [TestCase("http://localhost:5080#x", false)]
    [TestCase("http://user@localhost:5080", false)]
    [TestCase("http:\\\\localhost:5080", false)]
    [TestCase("http://[::1:5080", false)]
    [TestCase("http://127.0.0.1:5080/path", false)]
    public void Listen_addresses_are_read_as_Kestrel_reads_them_or_refused(string url, bool accepted) =>
        Assert.That(GatewayApp.IsListenAddress(url), Is.EqualTo(accepted));

    [TestCase("http://127.0.0.1:abc")]
    [TestCase("http://127.0.0.1:99999")]
    [TestCase("notaurl")]
    [TestCase("ftp://127.0.0.1:5080")]
    [TestCase("http://localhost:")]
    [TestCase("http://localhost:5080#x")]
    [TestCase("http://user@localhost:5080")]
    [TestCase("http://127.0.0.1:5080/path")]
    public async Task An_http_address_that_is_not_one_stops_the_gateway_before_anything_listens(string url)
    {
        using var temp = new TempRoot();
        string root = temp.Path;
        AssertRefused(await RunGatewayAsync(root, "--urls", url), $"urls: '{url}' is not an http:// or https:// address");
    }

    [Test]
    public async Task An_http_port_in_use_stops_the_gateway_with_one_line_and_exit_code_1()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        using var temp = new TempRoot();
        string root = temp.Path;
        (int exitCode, string stdErr, _) = await RunGatewayAsync(root, "--urls", $"http://127.0.0.1:{port}");
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That(stdErr, Does.StartWith($"gateway: cannot listen: Failed to bind to address http://127.0.0.1:{port}"));
            Assert.That(stdErr, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public async Task Certificate_files_that_are_not_certificates_and_a_directory_for_a_file_stop_the_gateway_naming_each()
    {
        using var temp = new TempRoot();
        string root = temp.Path;
        string notPem = Path.Combine(root, "ca.pem");
        string notPfx = Path.Combine(root, "client.pfx");
        await File.WriteAllTextAsync(notPem, "not a certificate\n");
        await File.WriteAllBytesAsync(notPfx, [1, 2, 3, 4]);
        AssertRefused(
            await RunGatewayAsync(
                root,
                "--Gateway:Links:0:Tcp:Host=127.0.0.1",
                "--Gateway:Links:0:Tcp:Port=5020",
                "--Gateway:Links:0:Tcp:Tls=true",
                $"--Gateway:Links:0:Tcp:CaCertificate={notPem}",
                $"--Gateway:Links:0:Tcp:ClientCertificate={notPfx}",
                $"--Gateway:DesiredConfiguration={root}"),
            $"Gateway:Links:0:Tcp:CaCertificate: cannot load '{notPem}': the file holds no PEM certificate",
            $"Gateway:Links:0:Tcp:ClientCertificate: cannot load '{notPfx}': ",
            $"Gateway:DesiredConfiguration: '{root}' is a directory, not a file.");
    }

    [Test]
    public async Task A_list_entry_written_as_a_plain_value_stops_the_gateway_naming_it()
    {
        using var temp = new TempRoot("""
            { "Gateway": { "Links": [ "127.0.0.1:5020" ] } }
            """);
        string root = temp.Path;
        AssertRefused(await RunGatewayAsync(root), "Gateway:Links:0: an entry is a section of settings, not the value '127.0.0.1:5020'.");
    }

    [Test]
    public async Task A_serial_backend_that_is_unknown_or_cannot_run_the_link_stops_the_gateway_naming_it()
    {
        using var temp = new TempRoot();
        string root = temp.Path;
        AssertRefused(
            await RunGatewayAsync(
                root,
                "--Gateway:Links:0:Serial:Port=/dev/ttyUSB0",
                "--Gateway:Links:0:Serial:Backend=Fast",
                "--Gateway:Links:1:Serial:Port=/dev/ttyUSB1",
                "--Gateway:Links:1:Serial:Backend=NativeTty",
                "--Gateway:Links:1:Serial:BaudRate=250000"),
            "Gateway:Links:0:Serial:Backend: 'Fast' is not one of Auto, SystemIoPorts, NativeTty.",
            "Gateway:Links:1:Serial:Backend: SerialTransportOptions.Backend NativeTty cannot run at BaudRate 250000");
    }

    [Test]
    public async Task A_bad_setting_in_appsettings_json_stops_the_gateway_naming_it()
    {
        using var temp = new TempRoot("""
            { "Gateway": { "Links": [ { "Serial": { "Port": "/dev/ttyUSB0", "Parity": "Evn" } } ] } }
            """);
        string root = temp.Path;
        AssertRefused(await RunGatewayAsync(root), "Gateway:Links:0:Serial:Parity: 'Evn' is not one of None, Odd, Even, Mark, Space.");
    }

    [Test]
    public async Task An_appsettings_json_that_is_not_json_stops_the_gateway_naming_the_file()
    {
        using var temp = new TempRoot("""
            { "Gateway": { "Links": [ { "Tcp": { "Host": "127.0.0.1" "Port": 5020 } } ] } }
            """);
        string root = temp.Path;
        AssertRefused(await RunGatewayAsync(root), "appsettings.json");
    }

    [Test]
    public async Task A_broken_desired_configuration_file_stops_the_gateway_at_start()
    {
        using var temp = new TempRoot();
        string root = temp.Path;
        string desired = Path.Combine(root, "desired.json");
        await File.WriteAllTextAsync(desired, """{ "sim-builtin": { "seven": { "0": 150 } } }""");
        AssertRefused(await RunGatewayAsync(root, $"--Gateway:DesiredConfiguration={desired}"), "Gateway:DesiredConfiguration:", "$['sim-builtin']['seven']");
    }
}
