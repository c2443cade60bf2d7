using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace Mcp.Frames.FirmwareSim.CommandLine;

/// <summary>Value parsers for the command line; every error names the flag and the bad value.</summary>
internal static class FlagParsers
{
    public static double Probability(ArgumentResult result)
    {
        string text = Single(result);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p >= 0 && p <= 1)
        {
            return p;
        }

        result.AddError($"{Flag(result)}: '{text}' is not a probability (a number from 0 to 1).");
        return 0;
    }

    public static TimeSpan Milliseconds(ArgumentResult result)
    {
        string text = Single(result);
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) && ms <= int.MaxValue)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        result.AddError($"{Flag(result)}: '{text}' is not a duration in milliseconds (a whole number from 0 to {int.MaxValue}).");
        return TimeSpan.Zero;
    }

    public static int Count(ArgumentResult result, int min, int max)
    {
        string text = Single(result);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max)
        {
            return n;
        }

        result.AddError($"{Flag(result)}: '{text}' must be a whole number from {min} to {max}.");
        return min;
    }

    public static Microsoft.Extensions.Logging.LogLevel LogLevel(ArgumentResult result)
    {
        string text = Single(result);
        Microsoft.Extensions.Logging.LogLevel? level = text.ToLowerInvariant() switch
        {
            "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
            "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
            "information" or "info" => Microsoft.Extensions.Logging.LogLevel.Information,
            "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
            "error" => Microsoft.Extensions.Logging.LogLevel.Error,
            "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
            "none" => Microsoft.Extensions.Logging.LogLevel.None,
            _ => null,
        };
        if (level is { } known)
        {
            return known;
        }

        result.AddError($"{Flag(result)}: '{text}' is not a log level (trace, debug, information, warning, error, critical or none).");
        return Microsoft.Extensions.Logging.LogLevel.Information;
    }

    public static ulong Seed(ArgumentResult result)
    {
        string text = Single(result);
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed) && seed <= long.MaxValue)
        {
            return seed;
        }

        result.AddError($"{Flag(result)}: '{text}' must be a whole number from 0 to {long.MaxValue}.");
        return 0;
    }

    /// <summary>Parses every <c>--tcp HOST:PORT</c> (HOST an IP address, <c>localhost</c> or <c>*</c>; IPv6 in brackets).</summary>
    public static IPEndPoint[] TcpEndPoints(ArgumentResult result)
    {
        var endPoints = new List<IPEndPoint>();
        foreach (Token token in result.Tokens)
        {
            if (TryParseEndPoint(token.Value, out IPEndPoint? endPoint, out string? problem))
            {
                endPoints.Add(endPoint);
            }
            else
            {
                result.AddError($"{Flag(result)}: '{token.Value}' {problem}");
            }
        }

        return [.. endPoints];
    }

    public static bool TryParseEndPoint(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        endPoint = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = "is not HOST:PORT (for example 127.0.0.1:5020).";
            return false;
        }

        string host = text[..colon];
        string portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            problem = $"has an invalid port '{portText}' (0 to 65535; 0 picks a free port).";
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        IPAddress? address = host switch
        {
            "*" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out IPAddress? parsed) ? parsed : null,
        };
        if (address is null)
        {
            problem = $"has an invalid host '{host}' (an IP address, localhost, or * for every interface).";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        problem = null;
        return true;
    }

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string Flag(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.IdentifierToken?.Value ?? option.Option.Name : "value";
}
