using System.IO.Pipelines;

namespace Mcp.Frames.Transports;

/// <summary>
/// One end of an in-process link made by <see cref="CreatePair"/>: two bounded pipes cross-wired, so that what one end
/// writes to <see cref="Output"/> the other reads from <see cref="Input"/>. For connection tests, and for running a
/// device simulator in the same process.
/// </summary>
/// <remarks>
/// <para>Disposing an end is an orderly close: the other end's <see cref="Input"/> ends normally once it has read
/// everything, and its <see cref="Output"/> reports <see cref="FlushResult.IsCompleted"/>.</para>
/// <para><see cref="Break"/> simulates losing the link (a cut cable, a reset): both ends' pending and later reads and
/// flushes throw a <see cref="TransportException"/> naming that end, and bytes in flight are lost.</para>
/// </remarks>
public sealed class InMemoryTransport : ITransport
{
    /// <summary>The bytes one direction buffers before the writer is paused, when no size is given: 64 KiB.</summary>
    public const int DefaultBufferSize = 64 * 1024;

    private readonly InMemoryLink _link;
    private readonly LinkPipeReader _input;
    private readonly LinkPipeWriter _output;
    private int _disposed;

    private InMemoryTransport(string name, TimeSpan? stallTimeout, InMemoryLink link, Pipe incoming, Pipe outgoing)
    {
        Name = name;
        StallTimeout = stallTimeout;
        _link = link;
        _input = new LinkPipeReader(incoming.Reader, link, this);
        _output = new LinkPipeWriter(outgoing.Writer, link, this);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The stall timeout given to <see cref="CreatePair"/> (to let a test exercise stall recovery), or <see langword="null"/>.</summary>
    public TimeSpan? StallTimeout { get; }

    /// <inheritdoc />
    public PipeReader Input => _input;

    /// <inheritdoc />
    public PipeWriter Output => _output;

    /// <summary>The other end of the link.</summary>
    public InMemoryTransport Peer { get; private set; } = null!;

    /// <summary>Whether <see cref="Break"/> was called on either end.</summary>
    public bool IsBroken => _link.Cause is not null;

    /// <summary>Creates two connected ends.</summary>
    /// <param name="firstName">The first end's <see cref="Name"/>.</param>
    /// <param name="secondName">The second end's <see cref="Name"/>.</param>
    /// <param name="stallTimeout">The <see cref="StallTimeout"/> both ends report; <see langword="null"/> for none.</param>
    /// <param name="bufferSize">Bytes each direction buffers before the writer's flush waits for the reader (at least 16).</param>
    /// <returns>The two ends; each is disposed by its user.</returns>
    public static (InMemoryTransport First, InMemoryTransport Second) CreatePair(
        string firstName = "memory a",
        string secondName = "memory b",
        TimeSpan? stallTimeout = null,
        int bufferSize = DefaultBufferSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(firstName);
        ArgumentException.ThrowIfNullOrEmpty(secondName);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 16);
        if (stallTimeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(stallTimeout), t, "stallTimeout must be positive, or null.");
        }

        var aToB = new Pipe(TransportPipes.Create(bufferSize));
        var bToA = new Pipe(TransportPipes.Create(bufferSize));
        var link = new InMemoryLink();
        var first = new InMemoryTransport(firstName, stallTimeout, link, incoming: bToA, outgoing: aToB);
        var second = new InMemoryTransport(secondName, stallTimeout, link, incoming: aToB, outgoing: bToA);
        first.Peer = second;
        second.Peer = first;
        link.Ends = [first, second];
        return (first, second);
    }

    /// <summary>
    /// Breaks the link for both ends: every pending and later <c>ReadAsync</c> of <see cref="Input"/> and
    /// <c>FlushAsync</c> of <see cref="Output"/>, on either end, throws a <see cref="TransportException"/> that names
    /// that end and carries <paramref name="cause"/>. Later calls do nothing.
    /// </summary>
    /// <param name="cause">Why, for the message and as the inner exception; <see langword="null"/> for a generic reason.</param>
    public void Break(Exception? cause = null) => _link.Break(cause);

    /// <summary>Closes this end in an orderly way (see the remarks on <see cref="InMemoryTransport"/>).</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _output.Inner.Complete();
            _input.Inner.Complete();
        }

        return default;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    internal TransportException BrokenException(Exception? cause) =>
        new($"{Name}: link broken{(cause is null ? string.Empty : ": " + cause.Message)}", cause);

    internal void WakeUp()
    {
        try
        {
            _input.Inner.CancelPendingRead();
            _output.Inner.CancelPendingFlush();
        }
        catch (InvalidOperationException)
        {
            // this end was already disposed: nobody to wake
        }
    }
}
