using System.IO.Pipelines;

namespace Mcp.Frames.Tests.Support;

/// <summary>One end of an in-memory link: its input is observed (see <see cref="ObservedPipeReader"/>).</summary>
public sealed class TestDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public ObservedPipeReader ObservedInput { get; } = new(input);

    public PipeReader Input => ObservedInput;

    public PipeWriter Output { get; } = output;

    /// <summary>
    /// Two cross-wired ends over two <see cref="Pipe"/>s (the smoke test's wiring). Continuations run on the thread
    /// pool, never inline in the writer.
    /// </summary>
    public static (TestDuplexPipe A, TestDuplexPipe B) CreatePair(PipeOptions? options = null)
    {
        var toA = new Pipe(options ?? PipeOptions.Default);
        var toB = new Pipe(options ?? PipeOptions.Default);
        return (new TestDuplexPipe(toA.Reader, toB.Writer), new TestDuplexPipe(toB.Reader, toA.Writer));
    }
}
