using Mcp.Frames.Connections;
using Mcp.Frames.Gateway.Settings;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Mcp.Frames.Gateway;

/// <summary>
/// Builds and runs the gateway's web application: the device registry as a hosted service, <c>/devices</c>,
/// <c>/health</c> and <c>/metrics</c>. Split from Program.cs so that tests can start the same application in-process.
/// </summary>
internal static class GatewayApp
{
    /// <summary>The exit code for settings that stop the gateway at start.</summary>
    public const int InvalidSettingsExitCode = 2;

    /// <summary>The exit code when the HTTP endpoint cannot be opened (for example the port is in use): a restart may help.</summary>
    public const int CannotListenExitCode = 1;

    /// <summary>Builds the application from the command line and the configuration files.</summary>
    /// <param name="args">The command line (<c>--urls</c>, <c>--Gateway:Links:0:Tcp:Port=5020</c>…).</param>
    /// <param name="configure">Lets tests change services (logging, clock) before the application is built.</param>
    /// <returns>The application, not started.</returns>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["Urls"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GatewayState>();
        builder.Services.AddSingleton<IValidateOptions<GatewaySettings>, GatewaySettingsValidator>();

        // Unknown keys are reported by the validator with their full path (the binder's own check names neither
        // the path nor, inside lists, the key).
        builder.Services.AddOptions<GatewaySettings>()
            .Bind(builder.Configuration.GetSection(GatewaySettings.Section))
            .ValidateOnStart();
        builder.Services.AddHostedService<GatewayService>();
        builder.Services.AddHealthChecks().AddCheck<DevicesHealthCheck>("devices");
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FramesTelemetry.Name)
            .AddPrometheusExporter());
        configure?.Invoke(builder);

        WebApplication app = builder.Build();
        app.MapDeviceEndpoints();
        app.MapHealthChecks("/health", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>Binds and validates the <c>Gateway</c> section now, before anything starts.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="OptionsValidationException">A setting is invalid; each failure names it.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names the setting.</exception>
    public static GatewaySettings CheckSettings(WebApplication app) =>
        app.Services.GetRequiredService<IOptions<GatewaySettings>>().Value;

    /// <summary>Runs the gateway until it is stopped.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>0 after a normal stop; <see cref="InvalidSettingsExitCode"/> when the settings stop it at start.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            await using WebApplication app = Build(args);
            CheckUrls(app.Configuration);
            CheckSettings(app);
            await app.RunAsync();
            return 0;
        }
        catch (IOException ex) when (ex.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal))
        {
            // Kestrel: the port is in use, or the address is not one of this machine's.
            Console.Error.WriteLine($"gateway: cannot listen: {Describe(ex)}");
            return CannotListenExitCode;
        }
        catch (InvalidOperationException ex) when (ex.Message.StartsWith("Unable to configure HTTPS endpoint", StringComparison.Ordinal))
        {
            return Refuse($"invalid settings: urls: {ex.Message}");
        }
        catch (OptionsValidationException ex)
        {
            return Refuse($"invalid settings: {string.Join(" ", ex.Failures)}");
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse($"invalid settings: {Describe(ex)}");
        }
        catch (InvalidDataException ex)
        {
            // A configuration file that is not valid JSON (appsettings.json), or a desired-configuration file.
            return Refuse(Describe(ex));
        }
    }

    /// <summary>
    /// Checks <c>urls</c> before the web host sees it: Kestrel reads an address it cannot parse leniently (a port that is
    /// not a number binds port 80 on every interface).
    /// </summary>
    /// <exception cref="OptionsValidationException">An address is not an http or https URL with a valid port.</exception>
    private static void CheckUrls(IConfiguration configuration)
    {
        string? urls = configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            return;
        }

        var failures = new List<string>();
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IsListenAddress(url))
            {
                failures.Add($"urls: '{url}' is not an http:// or https:// address with a host, an optional port from 0 to 65535 and no path (for example http://127.0.0.1:5080).");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("urls", typeof(string), failures);
        }
    }

    /// <summary>"Healthy", or "Degraded: " and which devices are not, and why (the description of the check).</summary>
    private static Task WriteHealthAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        string[] reasons = [.. report.Entries.Values.Where(e => e.Status != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy).Select(e => e.Description ?? e.Exception?.Message ?? "no reason given")];
        string text = reasons.Length == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join("; ", reasons)}";
        return context.Response.WriteAsync(text);
    }

    /// <summary>
    /// Whether Kestrel reads <paramref name="url"/> as the address it says: http or https, a host (or a wildcard), an
    /// optional port of digits, nothing else. Kestrel's own parser takes anything after "//" up to the last ':' as the
    /// host and falls back to port 80 on every interface for what it cannot read ("http://localhost:", a user name, a
    /// fragment), so those are refused here. Unix sockets ("http://unix:/run/gw.sock") are accepted as they are.
    /// </summary>
    internal static bool IsListenAddress(string url)
    {
        if (url.StartsWith("http://unix:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://unix:", StringComparison.OrdinalIgnoreCase))
        {
            return url.Length > url.IndexOf("unix:", StringComparison.OrdinalIgnoreCase) + 5;
        }

        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0 || url[..schemeEnd] is not ("http" or "https"))
        {
            return false;
        }

        string authority = url[(schemeEnd + 3)..].TrimEnd('/');
        if (authority.Length == 0 || authority.IndexOfAny(['/', '\\', '@', '#', '?', ' ']) >= 0)
        {
            return false; // a path, a user name, a fragment or a query: Kestrel does not take them
        }

        string host = authority;
        string? port = null;
        int close = authority.LastIndexOf(']');
        int colon = authority.LastIndexOf(':');
        if (colon > close)
        {
            host = authority[..colon];
            port = authority[(colon + 1)..];
        }

        bool hostOk = host is "*" or "+"
            || (host.StartsWith('[') && host.EndsWith(']') && System.Net.IPAddress.TryParse(host[1..^1], out _))
            || (!host.Contains(':') && Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4);
        bool portOk = port is null || (port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit) && int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) <= 65535);
        return hostOk && portOk;
    }

    private static int Refuse(string message)
    {
        Console.Error.WriteLine($"gateway: {message}");
        return InvalidSettingsExitCode;
    }

    /// <summary>The message and those of the inner exceptions (a JSON file's line and position are in the inner one).</summary>
    private static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            // A converter's own failure (an empty value fails with IndexOutOfRange) says nothing to the user.
            if (e is IndexOutOfRangeException or NullReferenceException)
            {
                continue;
            }

            if (!parts.Any(p => p.Contains(e.Message, StringComparison.Ordinal)))
            {
                parts.Add(e.Message);
            }
        }

        return string.Join(" ", parts);
    }
}
