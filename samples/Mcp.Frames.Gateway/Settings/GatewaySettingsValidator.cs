using System.IO.Ports;
using Mcp.Frames.Devices;
using Mcp.Frames.Serial;
using Microsoft.Extensions.Options;

namespace Mcp.Frames.Gateway.Settings;

/// <summary>Checks the <c>Gateway</c> section at start; each failure names the setting by its configuration path.</summary>
internal sealed class GatewaySettingsValidator(IConfiguration configuration) : IValidateOptions<GatewaySettings>
{
    public ValidateOptionsResult Validate(string? name, GatewaySettings options)
    {
        var errors = new List<string>();
        const string root = GatewaySettings.Section;
        UnknownSettings.Find(configuration.GetSection(root), typeof(GatewaySettings), root, errors);
        for (int i = 0; i < options.Links.Count; i++)
        {
            ValidateLink(options.Links[i], $"{root}:Links:{i}", errors);
        }

        for (int i = 0; i < options.Watches.Count; i++)
        {
            WatchSettings w = options.Watches[i];
            string path = $"{root}:Watches:{i}";
            Range(w.Slot, 0, 255, $"{path}:Slot", errors);
            Range(w.Register, 0, 65535, $"{path}:Register", errors);
            Range(w.Count, 1, 255, $"{path}:Count", errors);
            Range(w.PeriodMs, 10, 65535, $"{path}:PeriodMs", errors);
        }

        if (!string.IsNullOrEmpty(options.DesiredConfiguration))
        {
            if (MissingFile(options.DesiredConfiguration) is { } missing)
            {
                errors.Add($"{root}:DesiredConfiguration: {missing}");
            }
            else
            {
                try
                {
                    _ = DesiredConfiguration.Load(options.DesiredConfiguration); // refused here, before any link opens
                }
                catch (InvalidDataException ex)
                {
                    errors.Add($"{root}:DesiredConfiguration: {ex.Message}");
                }
            }
        }

        Range(options.HeartbeatIntervalMs, 0, 3_600_000, $"{root}:HeartbeatIntervalMs", errors);
        Range(options.HeartbeatMissedLimit, 2, 1000, $"{root}:HeartbeatMissedLimit", errors);
        Range(options.BootIdCheckIntervalMs, 0, 3_600_000, $"{root}:BootIdCheckIntervalMs", errors);
        Range(options.RequestTimeoutMs, 1, 600_000, $"{root}:RequestTimeoutMs", errors);
        Range(options.DegradedAfterSilenceMs, 1, 3_600_000, $"{root}:DegradedAfterSilenceMs", errors);
        Range(options.HealthIntervalMs, 1, 600_000, $"{root}:HealthIntervalMs", errors);
        Range(options.MaxBackoffMs, 100, 3_600_000, $"{root}:MaxBackoffMs", errors); // the backoff starts at 100 ms
        if (options.HeartbeatIntervalMs > 0 && options.DegradedAfterSilenceMs <= options.HeartbeatIntervalMs)
        {
            // A healthy device is heard from once per PING: a shorter limit marks it degraded between two PINGs.
            errors.Add($"{root}:DegradedAfterSilenceMs: must be longer than HeartbeatIntervalMs ({options.HeartbeatIntervalMs} ms); {options.DegradedAfterSilenceMs} was given.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateLink(LinkSettings link, string path, List<string> errors)
    {
        if ((link.Tcp is null) == (link.Serial is null))
        {
            errors.Add($"{path}: set exactly one of Tcp or Serial.");
            return;
        }

        if (link.Tcp is { } tcp)
        {
            if (string.IsNullOrWhiteSpace(tcp.Host))
            {
                errors.Add($"{path}:Tcp:Host: is required.");
            }

            Range(tcp.Port, 1, 65535, $"{path}:Tcp:Port", errors);
            foreach ((string? file, string key) in new[] { (tcp.CaCertificate, "CaCertificate"), (tcp.ClientCertificate, "ClientCertificate") })
            {
                if (string.IsNullOrEmpty(file))
                {
                    continue;
                }

                if (MissingFile(file) is { } missing)
                {
                    errors.Add($"{path}:Tcp:{key}: {missing}");
                    continue;
                }

                // Loaded now, so that a file that is not a certificate stops the gateway here, not every connect later.
                try
                {
                    _ = key == "CaCertificate" ? (object)LinkConnectorFactory.LoadTrustedRoots(file) : LinkConnectorFactory.LoadClientCertificate(file, tcp.ClientCertificatePassword);
                }
                catch (Exception ex) when (ex is InvalidDataException or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
                {
                    errors.Add($"{path}:Tcp:{key}: cannot load '{file}': {ex.Message}");
                }
            }

            if (!tcp.Tls && (tcp.CaCertificate ?? tcp.ClientCertificate ?? tcp.TlsServerName) is not null)
            {
                errors.Add($"{path}:Tcp: TLS settings are given but Tls is false.");
            }
        }

        if (link.Serial is { } serial)
        {
            int before = errors.Count;
            if (string.IsNullOrWhiteSpace(serial.Port))
            {
                errors.Add($"{path}:Serial:Port: is required (for example /dev/ttyUSB0).");
            }

            Range(serial.BaudRate, 50, 4_000_000, $"{path}:Serial:BaudRate", errors);
            Range(serial.DataBits, 5, 8, $"{path}:Serial:DataBits", errors);
            EnumValue<Parity>(serial.Parity, $"{path}:Serial:Parity", errors);
            EnumValue<StopBits>(serial.StopBits, $"{path}:Serial:StopBits", errors);
            EnumValue<Handshake>(serial.Handshake, $"{path}:Serial:Handshake", errors);
            if (serial.StopBits == nameof(StopBits.None))
            {
                errors.Add($"{path}:Serial:StopBits: None is not a valid number of stop bits.");
            }

            if (EnumValue<SerialBackend>(serial.Backend, $"{path}:Serial:Backend", errors) && errors.Count == before)
            {
                // What only the transport knows: a backend this machine or this baud rate cannot run.
                try
                {
                    serial.ToOptions().Validate();
                }
                catch (ArgumentException ex)
                {
                    string message = ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
                    errors.Add($"{path}:Serial:{ex.ParamName}: {message}");
                }
            }
        }
    }

    /// <summary>Why <paramref name="file"/> is not a file that can be read, or <see langword="null"/> if it is one.</summary>
    private static string? MissingFile(string file) =>
        Directory.Exists(file) ? $"'{file}' is a directory, not a file." :
        !File.Exists(file) ? $"the file '{file}' does not exist." :
        null;

    private static void Range(int value, int min, int max, string path, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{path}: must be between {min} and {max}; {value} was given.");
        }
    }

    private static bool EnumValue<T>(string value, string path, List<string> errors)
        where T : struct, Enum
    {
        if (!Enum.TryParse<T>(value, ignoreCase: true, out _) || int.TryParse(value, out _))
        {
            errors.Add($"{path}: '{value}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
            return false;
        }

        return true;
    }
}
