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
        app.MapHealthChecks("/health");
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
            CheckSettings(app);
            await app.RunAsync();
            return 0;
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
            if (!parts.Any(p => p.Contains(e.Message, StringComparison.Ordinal)))
            {
                parts.Add(e.Message);
            }
        }

        return string.Join(" ", parts);
    }
}
