using System.Text.Json.Nodes;
using Mcp.Frames.Mcp1;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Mcp.Frames.Tool.Output;

/// <summary>
/// Where a command's results go: plain lines and Spectre.Console tables for people, or one JSON object per line
/// (<c>--json</c>) for scripts. Errors go to standard error as <c>mcp: …</c>; with <c>--json</c> an
/// <c>{"type":"error",…}</c> object is also written to standard output, so a script reading only stdout sees it.
/// </summary>
internal sealed class ToolOutput
{
    /// <summary>The width tables are laid out for when the output is not a terminal: wide enough not to wrap.</summary>
    private const int RedirectedWidth = 200;

    private IAnsiConsole? _console;

    public ToolOutput(TextWriter stdout, TextWriter stderr, bool interactive)
    {
        Out = stdout;
        Error = stderr;
        Interactive = interactive;
    }

    /// <summary>Standard output.</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether standard output is a terminal (live views, colours); false for a file, a pipe or a test.</summary>
    public bool Interactive { get; }

    /// <summary>Whether results are printed as JSON lines (<c>--json</c>).</summary>
    public bool Json { get; set; }

    /// <summary>Spectre.Console over standard output; plain (no ANSI codes) unless it is a terminal.</summary>
    public IAnsiConsole Console => _console ??= CreateConsole();

    /// <summary>Writes a line of text; control characters in it (from a device's strings) are written as <c>\uXXXX</c>.</summary>
    public void Line(string text) => Out.WriteLine(PeerText.Escape(text));

    /// <summary>Text from a device, for a table cell or title: escaped for the terminal (<see cref="PeerText"/>) and for markup.</summary>
    public static string Cell(string peerText) => Markup.Escape(PeerText.Escape(peerText));

    /// <summary>Writes one JSON object on one line.</summary>
    public void Emit(JsonObject result) => Out.WriteLine(result.ToJsonString());

    /// <summary>Writes a table or another renderable.</summary>
    public void Render(IRenderable renderable) => Console.Write(renderable);

    /// <summary>Reports an error: <c>mcp: message</c> on standard error, and a JSON error object with <c>--json</c>.</summary>
    public void Fail(string kind, string message, int exitCode, JsonObject? details = null)
    {
        Error.WriteLine($"mcp: {message}");
        if (Json)
        {
            var error = new JsonObject { ["type"] = "error", ["error"] = kind, ["exitCode"] = exitCode, ["message"] = message };
            if (details is not null)
            {
                foreach ((string key, JsonNode? value) in details.ToList())
                {
                    details.Remove(key);
                    error[key] = value;
                }
            }

            Emit(error);
        }
    }

    /// <summary>Creates a table in the tool's style.</summary>
    public static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(column));
        }

        return table;
    }

    private IAnsiConsole CreateConsole()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Out),
        });
        if (!Interactive)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
