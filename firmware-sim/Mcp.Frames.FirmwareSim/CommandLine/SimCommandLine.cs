using System.CommandLine;
using System.CommandLine.Invocation;
using System.IO.Ports;
using System.Net;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Persistence;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.CommandLine;

/// <summary>
/// The firmware-sim command line (firmware-sim/README.md, "Command line"). Exit codes: 0 after a clean shutdown
/// (SIGINT, SIGTERM), 1 when the simulator cannot run (an endpoint or the state directory cannot be used), 2 for a
/// bad flag or a bad device file (the message names the flag or the JSON path).
/// </summary>
public static class SimCommandLine
{
    /// <summary>Clean shutdown.</summary>
    public const int ExitOk = 0;

    /// <summary>The simulator could not run (endpoint, serial port, state directory).</summary>
    public const int ExitFailure = 1;

    /// <summary>Bad flags or a bad device file.</summary>
    public const int ExitUsage = 2;

    /// <summary>The endpoint used when no endpoint flag is given.</summary>
    public static readonly IPEndPoint DefaultTcpEndPoint = new(IPAddress.Loopback, 5020);

    /// <summary>Runs the simulator until <paramref name="stop"/> fires.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="stdout">Where the <c>listening …</c> lines (and help) go.</param>
    /// <param name="stderr">Where errors and logs go.</param>
    /// <param name="stop">Fires on SIGINT/SIGTERM.</param>
    /// <param name="onStarted">Called with the running host once every endpoint is ready (for embedding).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop, Action<SimHost>? onStarted = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        stderr = TextWriter.Synchronized(stderr); // shared with the log's writer task
        var command = new SimRootCommand();
        ParseResult parsed = command.Root.Parse(args);
        if (parsed.Action is not null and not ParseErrorAction)
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        }

        if (parsed.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"firmware-sim: {error.Message}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Run with --help for the options.").ConfigureAwait(false);
            return ExitUsage;
        }

        DeviceDefinition device;
        string? devicePath = parsed.GetValue(command.Device);
        try
        {
            device = devicePath is null ? DeviceDefinition.BuiltIn : DeviceDefinition.Load(devicePath);
        }
        catch (DefinitionException ex)
        {
            await stderr.WriteLineAsync($"firmware-sim: bad device file: {ex.Message}").ConfigureAwait(false);
            return ExitUsage;
        }

        if (parsed.GetValue(command.PrintDevice))
        {
            await stdout.WriteLineAsync(devicePath is null ? BuiltInDevice.Json : await File.ReadAllTextAsync(devicePath, stop).ConfigureAwait(false)).ConfigureAwait(false);
            return ExitOk;
        }

        LogLevel level = parsed.GetValue(command.LogLevel);
        using var loggers = new TextWriterLoggerFactory(stderr, level);
        SimHostOptions options;
        try
        {
            options = command.CreateOptions(parsed, device, loggers);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync($"firmware-sim: {ex.Message}").ConfigureAwait(false);
            return ExitUsage;
        }

        SimHost host;
        try
        {
            host = await SimHost.StartAsync(options, stop).ConfigureAwait(false);
        }
        catch (DefinitionException ex)
        {
            await stderr.WriteLineAsync($"firmware-sim: bad device file: {ex.Message}").ConfigureAwait(false);
            return ExitUsage;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitOk;
        }
        catch (Exception ex) when (ex is StateDirectoryException or TransportException or IOException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"firmware-sim: cannot start: {ex.Message}").ConfigureAwait(false);
            return ExitFailure;
        }

        await using (host.ConfigureAwait(false))
        {
            foreach (SimEndpointInfo endpoint in host.Endpoints)
            {
                await stdout.WriteLineAsync(endpoint.ReadyLine).ConfigureAwait(false);
            }

            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            onStarted?.Invoke(host);
            try
            {
                await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGINT or SIGTERM: shut down cleanly.
            }
        }

        return ExitOk;
    }

    /// <summary>The options and how they become <see cref="SimHostOptions"/>.</summary>
    private sealed class SimRootCommand
    {
        public SimRootCommand()
        {
            Root = new RootCommand("firmware-sim: a simulated MCP/1 device (PROTOCOL.md §2) over TCP, a serial port or a pseudo-terminal.");
            Device = Add(new Option<string>("--device") { HelpName = "FILE", Description = "The device definition (JSON); without it, a built-in device with one module of each type" });
            Tcp = Add(new Option<IPEndPoint[]>("--tcp") { HelpName = "HOST:PORT", Description = "Listen on TCP (repeatable; port 0 picks a free port). Default 127.0.0.1:5020 when no endpoint is given", CustomParser = FlagParsers.TcpEndPoints, Arity = ArgumentArity.OneOrMore });
            SerialPath = Add(new Option<string>("--serial") { HelpName = "PATH", Description = "Serve a serial port, such as /dev/ttyUSB0" });
            Baud = Add(new Option<int>("--baud") { HelpName = "N", Description = "The serial port's baud rate (default 115200)", CustomParser = r => FlagParsers.Count(r, 1, 100_000_000) });
            Pty = Add(new Option<bool>("--pty") { Description = "Create a pseudo-terminal and serve it; prints its slave path (Linux)" });
            Link = Add(new Option<string>("--link") { HelpName = "PATH", Description = "With --pty: keep a stable symbolic link to the pty slave at PATH" });
            MaxLinks = Add(new Option<int>("--max-links") { HelpName = "N", Description = "TCP links served at once (default 64); a connection beyond it is closed at once", DefaultValueFactory = _ => 64, CustomParser = r => FlagParsers.Count(r, 1, 100_000) });
            State = Add(new Option<string>("--state") { HelpName = "DIR", Description = "Keep the configuration (CONFIG_SET) in DIR across restarts; without it, in memory" });
            LogLevel = Add(new Option<LogLevel>("--log-level") { HelpName = "LEVEL", Description = "trace, debug, information, warning, error or none (default information); logs go to standard error", DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Information, CustomParser = FlagParsers.LogLevel });
            PrintDevice = Add(new Option<bool>("--print-device") { Description = "Print the device definition in use (the built-in one without --device) and exit" });
            Faults = new FaultFlags(Root);
            Root.Validators.Add(result =>
            {
                if (result.GetResult(Link) is not null && result.GetResult(Pty) is null)
                {
                    result.AddError("--link needs --pty.");
                }

                if (result.GetResult(Baud) is not null && result.GetResult(SerialPath) is null)
                {
                    result.AddError("--baud needs --serial.");
                }
            });
        }

        public RootCommand Root { get; }

        public Option<string> Device { get; }

        public Option<IPEndPoint[]> Tcp { get; }

        public Option<string> SerialPath { get; }

        public Option<int> Baud { get; }

        public Option<bool> Pty { get; }

        public Option<string> Link { get; }

        public Option<string> State { get; }

        public Option<int> MaxLinks { get; }

        public Option<LogLevel> LogLevel { get; }

        public Option<bool> PrintDevice { get; }

        public FaultFlags Faults { get; }

        public SimHostOptions CreateOptions(ParseResult parsed, DeviceDefinition device, ILoggerFactory loggers)
        {
            FaultSettings faults = Faults.Apply(parsed, device.Faults);
            try
            {
                faults.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new ArgumentException($"fault settings: {ex.Message}", ex);
            }

            var options = new SimHostOptions
            {
                Device = device,
                StateDirectory = parsed.GetValue(State),
                MaxTcpLinks = parsed.GetValue(MaxLinks),
                Faults = faults,
                LoggerFactory = loggers,
            };
            foreach (IPEndPoint endPoint in parsed.GetValue(Tcp) ?? [])
            {
                options.Endpoints.Add(SimEndpoint.Tcp(endPoint));
            }

            if (parsed.GetValue(SerialPath) is { } port)
            {
                var serial = new SerialTransportOptions
                {
                    PortName = port,
                    BaudRate = parsed.GetResult(Baud) is null ? SerialTransportOptions.DefaultBaudRate : parsed.GetValue(Baud),
                    Parity = Parity.None,
                };
                try
                {
                    serial.Validate();
                }
                catch (ArgumentException ex)
                {
                    throw new ArgumentException($"--serial/--baud: {ex.Message}", ex);
                }

                options.Endpoints.Add(SimEndpoint.Serial(serial));
            }

            if (parsed.GetValue(Pty))
            {
                options.Endpoints.Add(SimEndpoint.Pty(parsed.GetValue(Link)));
            }

            if (options.Endpoints.Count == 0)
            {
                options.Endpoints.Add(SimEndpoint.Tcp(DefaultTcpEndPoint));
            }

            return options;
        }

        private Option<T> Add<T>(Option<T> option)
        {
            Root.Options.Add(option);
            return option;
        }
    }
}
