using System.Threading.Channels;

namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>Collects events raised by the code under test so that a test can await them in order, each wait bounded.</summary>
internal sealed class EventQueue<T>
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>();
    private readonly List<T> _seen = [];

    /// <summary>Every event read so far by <see cref="NextAsync"/>, in order (skipped ones included).</summary>
    public IReadOnlyList<T> Seen => _seen;

    /// <summary>Events raised and not read yet by <see cref="NextAsync"/>.</summary>
    public int Unread => _channel.Reader.Count;

    public void Add(T item) => _channel.Writer.TryWrite(item);

    /// <summary>The next event that matches, skipping the others.</summary>
    public async Task<T> NextAsync(Func<T, bool>? match = null, string? what = null)
    {
        using var deadline = new CancellationTokenSource(Bounded.Timeout);
        try
        {
            while (true)
            {
                T item = await _channel.Reader.ReadAsync(deadline.Token);
                _seen.Add(item);
                if (match is null || match(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"no {what ?? typeof(T).Name} within {Bounded.Timeout.TotalSeconds:0} s; seen: {string.Join(" | ", _seen)}");
        }
    }
}
