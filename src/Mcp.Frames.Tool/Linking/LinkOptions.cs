using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.IO.Ports;
using System.Net;
using Mcp.Frames.Serial;
using Mcp.Frames.Tool.Cli;

namespace Mcp.Frames.Tool.Linking;

/// <summary>
/// The options every device command shares (issue 7): <c>--tcp HOST:PORT</c> or <c>--serial PATH</c> with the line
/// settings, <c>--tls</c> with <c>--ca</c>/<c>--cert</c>/<c>--key</c>, and <c>--timeout MS</c>. One set of option
/// objects, added to each device command.
/// </summary>
internal sealed class LinkOptions
{
    /// <summary>The request timeout when <c>--timeout</c> is not given.</summary>
    public const int DefaultTimeoutMs = 2000;

    private static readonly (string Name, SerialBackend Backend)[] BackendNames =
        [("auto", SerialBackend.Auto), ("native-tty", SerialBackend.NativeTty), ("system-io-ports", SerialBackend.SystemIoPorts)];

    public Option<string> Tcp { get; } = new("--tcp")
    {
        HelpName = "HOST:PORT",
        Description = "Connect over TCP, such as 127.0.0.1:5020 or [::1]:5020",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (!TryParseHostPort(text, out _, out _, out string? error))
            {
                result.AddError($"--tcp: {error}");
            }

            return text;
        },
    };

    public Option<string> Serial { get; } = new("--serial") { HelpName = "PATH", Description = "Connect over a serial port, such as /dev/ttyUSB0 (or a pty)" };

    public Option<int> Baud { get; } = CliOptions.Integer("--baud", "N", "Serial baud rate", 1, 100_000_000, defaultValue: 115200);

    public Option<Parity> Parity { get; } = new("--parity")
    {
        HelpName = "none|odd|even|mark|space",
        Description = "Serial parity (default none)",
        DefaultValueFactory = _ => System.IO.Ports.Parity.None,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (Enum.TryParse(text, ignoreCase: true, out Parity parity) && Enum.IsDefined(parity) && !char.IsDigit(text[0]))
            {
                return parity;
            }

            result.AddError($"--parity: '{text}' is not one of none, odd, even, mark, space.");
            return System.IO.Ports.Parity.None;
        },
    };

    public Option<StopBits> StopBits { get; } = new("--stop-bits")
    {
        HelpName = "1|1.5|2",
        Description = "Serial stop bits (default 1)",
        DefaultValueFactory = _ => System.IO.Ports.StopBits.One,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            switch (text)
            {
                case "1":
                    return System.IO.Ports.StopBits.One;
                case "1.5":
                    return System.IO.Ports.StopBits.OnePointFive;
                case "2":
                    return System.IO.Ports.StopBits.Two;
                default:
                    result.AddError($"--stop-bits: '{text}' is not one of 1, 1.5, 2.");
                    return System.IO.Ports.StopBits.One;
            }
        },
    };

    public Option<int> DataBits { get; } = CliOptions.Integer("--data-bits", "5-8", "Serial data bits", 5, 8, defaultValue: 8);

    public Option<SerialBackend> Backend { get; } = new("--serial-backend")
    {
        HelpName = "auto|native-tty|system-io-ports",
        Description = "How the serial port is driven (default auto: the native tty code on Linux at a standard baud rate, System.IO.Ports otherwise)",
        DefaultValueFactory = _ => SerialBackend.Auto,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            foreach ((string name, SerialBackend backend) in BackendNames)
            {
                if (string.Equals(text, name, StringComparison.OrdinalIgnoreCase))
                {
                    return backend;
                }
            }

            result.AddError($"--serial-backend: '{text}' is not one of {string.Join(", ", BackendNames.Select(b => b.Name))}.");
            return SerialBackend.Auto;
        },
    };

    public Option<bool> Tls { get; } = new("--tls") { Description = "Use TLS over --tcp; the server certificate must match HOST (or --tls-host)" };

    public Option<string> Ca { get; } = new("--ca") { HelpName = "FILE", Description = "With --tls: trust this CA (PEM), for example a device's self-signed certificate" };

    public Option<string> Cert { get; } = new("--cert") { HelpName = "FILE", Description = "With --tls: the client certificate for mutual TLS (PEM with --key, or PKCS#12)" };

    public Option<string> Key { get; } = new("--key") { HelpName = "FILE", Description = "With --cert: the client certificate's private key (PEM)" };

    public Option<string> TlsHost { get; } = new("--tls-host") { HelpName = "NAME", Description = "With --tls: the name to check the server certificate against (default: HOST)" };

    public Option<int> Timeout { get; } = CliOptions.Integer("--timeout", "MS", "How long to wait for each answer, and for the connection, in milliseconds", 1, 3_600_000, defaultValue: DefaultTimeoutMs);

    /// <summary>Adds the options, and the rules between them, to a device command.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Tcp, Serial, Baud, Parity, StopBits, DataBits, Backend, Tls, Ca, Cert, Key, TlsHost, Timeout })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(Validate);
    }

    /// <summary>Reads the settings of a parsed command line.</summary>
    public LinkSettings Read(ParseResult parsed)
    {
        string? tcp = parsed.GetValue(Tcp);
        string host = string.Empty;
        int port = 0;
        if (tcp is not null)
        {
            TryParseHostPort(tcp, out host, out port, out _);
        }

        return new LinkSettings
        {
            Host = tcp is null ? null : host,
            Port = port,
            SerialPath = parsed.GetValue(Serial),
            BaudRate = parsed.GetValue(Baud),
            Parity = parsed.GetValue(Parity),
            StopBits = parsed.GetValue(StopBits),
            DataBits = parsed.GetValue(DataBits),
            Backend = parsed.GetValue(Backend),
            Tls = parsed.GetValue(Tls),
            CaFile = parsed.GetValue(Ca),
            CertFile = parsed.GetValue(Cert),
            KeyFile = parsed.GetValue(Key),
            TlsHost = parsed.GetValue(TlsHost),
            Timeout = TimeSpan.FromMilliseconds(parsed.GetValue(Timeout)),
        };
    }

    /// <summary>Splits <c>HOST:PORT</c>; IPv6 addresses in brackets.</summary>
    public static bool TryParseHostPort(string text, out string host, out int port, out string? error)
    {
        host = string.Empty;
        port = 0;
        error = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1 || (text.Contains(':', StringComparison.Ordinal) && text.IndexOf(':', StringComparison.Ordinal) != colon && !text.StartsWith('[')))
        {
            error = $"'{text}' is not HOST:PORT (such as 127.0.0.1:5020, device.local:5020 or [::1]:5020).";
            return false;
        }

        string hostPart = text[..colon];
        if (hostPart.StartsWith('[') && hostPart.EndsWith(']'))
        {
            hostPart = hostPart[1..^1];
            if (!IPAddress.TryParse(hostPart, out _))
            {
                error = $"'{text}': '{hostPart}' in brackets is not an IPv6 address.";
                return false;
            }
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            error = $"'{text}': the port '{text[(colon + 1)..]}' is not a number from 1 to 65535.";
            return false;
        }

        host = hostPart;
        return true;
    }

    private void Validate(CommandResult result)
    {
        bool tcp = result.GetResult(Tcp) is not null;
        bool serial = result.GetResult(Serial) is not null;
        if (tcp == serial)
        {
            result.AddError(tcp ? "--tcp and --serial cannot be used together; give one." : "Say where the device is: --tcp HOST:PORT or --serial PATH.");
        }

        foreach (Option option in new Option[] { Baud, Parity, StopBits, DataBits, Backend })
        {
            if (!serial && Given(result, option))
            {
                result.AddError($"{option.Name} needs --serial.");
            }
        }

        if (!tcp && Given(result, Tls))
        {
            result.AddError("--tls needs --tcp.");
        }

        foreach (Option option in new Option[] { Ca, Cert, TlsHost })
        {
            if (Given(result, option) && !Given(result, Tls))
            {
                result.AddError($"{option.Name} needs --tls.");
            }
        }

        if (Given(result, Key) && !Given(result, Cert))
        {
            result.AddError("--key needs --cert.");
        }
    }

    private static bool Given(CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };
}
