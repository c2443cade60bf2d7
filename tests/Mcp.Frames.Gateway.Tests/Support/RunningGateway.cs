using Mcp.Frames.Devices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>
/// The gateway's web application started in this process, as <c>dotnet run</c> starts it, on 127.0.0.1 with a port
/// the OS picks, its logs going to the test's collector.
/// </summary>
internal sealed class RunningGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningGateway(WebApplication app, Uri address)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = address, Timeout = Bounded.Timeout };
    }

    public HttpClient Http { get; }

    public GatewayState State => _app.Services.GetRequiredService<GatewayState>();

    public DeviceRegistry Registry => State.Registry ?? throw new InvalidOperationException("the gateway has not started its registry");

    public static async Task<RunningGateway> StartAsync(LogCollector logs, params string[] args)
    {
        WebApplication app = GatewayApp.Build(
            ["--urls", "http://127.0.0.1:0", "--contentRoot", AppContext.BaseDirectory, .. args],
            builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs);
            });
        try
        {
            GatewayApp.CheckSettings(app);
            await app.StartAsync().Within();
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new RunningGateway(app, new Uri(address));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
