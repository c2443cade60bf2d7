using Mcp.Frames.Gateway;

return await GatewayApp.RunAsync(args);
