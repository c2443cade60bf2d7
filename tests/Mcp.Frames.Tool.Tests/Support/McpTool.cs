using System.Text.Json.Nodes;

namespace Mcp.Frames.Tool.Tests.Support;

/// <summary>What one run of the tool printed and returned.</summary>
internal sealed record ToolResult(int ExitCode, string Out, string Err)
{
    public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Standard output as JSON lines (every line must be one object).</summary>
    public JsonObject[] Json => [.. Lines.Select(line => JsonNode.Parse(line)!.AsObject())];

    public JsonObject[] JsonOfType(string type) => [.. Json.Where(o => (string?)o["type"] == type)];

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Err}";
}

/// <summary>Runs the tool in-process, bounded in time.</summary>
internal static class McpTool
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static Task<ToolResult> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    public static async Task<ToolResult> RunAsync(string[] args, CancellationToken cancellationToken, Action<FirmwareSim.Hosting.SimHost>? onSimStarted = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await ToolApp.RunAsync(args, stdout, stderr, cancellationToken, interactive: false, onSimStarted).WaitAsync(Timeout);
        return new ToolResult(code, stdout.ToString(), stderr.ToString());
    }

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Timeout);
}
