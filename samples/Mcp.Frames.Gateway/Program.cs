using Mcp.Frames.Connections;
using Mcp.Frames.Gateway;
using Mcp.Frames.Gateway.Settings;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["Urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<GatewayState>();
builder.Services.AddSingleton<IValidateOptions<GatewaySettings>, GatewaySettingsValidator>();
builder.Services.AddOptions<GatewaySettings>()
    .Bind(builder.Configuration.GetSection(GatewaySettings.Section), o => o.ErrorOnUnknownConfiguration = true)
    .ValidateOnStart();
builder.Services.AddHostedService<GatewayService>();
builder.Services.AddHealthChecks().AddCheck<DevicesHealthCheck>("devices");
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter(FramesTelemetry.Name)
    .AddPrometheusExporter());

WebApplication app = builder.Build();
app.MapDeviceEndpoints();
app.MapHealthChecks("/health");
app.MapPrometheusScrapingEndpoint("/metrics");

try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine($"gateway: invalid settings: {string.Join(" ", ex.Failures)}");
    return 2;
}
catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"gateway: invalid settings: {ex.Message}");
    return 2;
}
catch (InvalidDataException ex)
{
    Console.Error.WriteLine($"gateway: {ex.Message}");
    return 2;
}
