using System.CommandLine;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Mcp.Frames.Connections;
using Mcp.Frames.Tool.Linking;
using Mcp.Frames.Tool.Output;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// What every command shares: the output, the <c>--json</c> flag, the link options, and the one place where
/// exceptions become exit codes and messages.
/// </summary>
internal sealed class ToolContext(ToolOutput output)
{
    public ToolOutput Output { get; } = output;

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object per result or event, one per line (for scripts)",
        Recursive = true,
    };

    public LinkOptions Link { get; } = new();

    /// <summary>Sets a command's action: reads <c>--json</c>, runs <paramref name="run"/>, maps failures to exit codes.</summary>
    public void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> run) =>
        command.SetAction(async (parsed, cancellationToken) =>
        {
            Output.Json = parsed.GetValue(Json);
            try
            {
                return await run(parsed, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return Report(ex, cancellationToken);
            }
            finally
            {
                await Output.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        });

    /// <summary>
    /// Sets the action of a device command: runs <paramref name="check"/> (which throws <see cref="UsageException"/>
    /// for a bad combination), opens the link, runs the command, closes the link.
    /// </summary>
    public void SetDeviceAction(Command command, Func<ParseResult, DeviceLink, CancellationToken, Task<int>> run, Action<ParseResult>? check = null) =>
        SetAction(command, async (parsed, cancellationToken) =>
        {
            check?.Invoke(parsed);
            await using DeviceLink link = await DeviceLink.OpenAsync(Link.Read(parsed), cancellationToken).ConfigureAwait(false);
            return await run(parsed, link, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Prints what went wrong and returns the exit code for it.</summary>
    public int Report(Exception error, CancellationToken cancellationToken)
    {
        switch (error)
        {
            case UsageException usage:
                Output.Fail("usage", usage.Message, ExitCodes.Usage);
                return ExitCodes.Usage;
            case RemoteStatusException status:
                Output.Fail(
                    "status",
                    status.Message,
                    ExitCodes.DeviceError,
                    new JsonObject { ["status"] = status.StatusName, ["statusCode"] = status.Status });
                return ExitCodes.DeviceError;
            case RequestTimeoutException timeout:
                Output.Fail("timeout", timeout.Message, ExitCodes.LinkFailure);
                return ExitCodes.LinkFailure;
            case FrameConnectionException link:
                // ConnectionClosedException (the link went down) and ProtocolException (a malformed answer, a PING echo that differs).
                Output.Fail(link is ProtocolException ? "protocol" : "link", link.Message, ExitCodes.LinkFailure);
                return ExitCodes.LinkFailure;
            case TransportException transport:
                Output.Fail("link", transport.Message, ExitCodes.LinkFailure);
                return ExitCodes.LinkFailure;
            case AuthenticationException tls:
                Output.Fail("link", $"TLS: {tls.Message}", ExitCodes.LinkFailure);
                return ExitCodes.LinkFailure;
            case IOException io:
                Output.Fail("link", io.Message, ExitCodes.LinkFailure);
                return ExitCodes.LinkFailure;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                Output.Fail("interrupted", "interrupted before the command finished.", ExitCodes.LinkFailure);
                return ExitCodes.LinkFailure;
            case ArgumentException argument:
                // The library refuses what cannot be sent (a payload over the link's limit); nothing was written.
                Output.Fail("usage", argument.Message, ExitCodes.Usage);
                return ExitCodes.Usage;
            default:
                throw new InvalidOperationException($"mcp: unexpected failure: {error.Message}", error);
        }
    }
}
