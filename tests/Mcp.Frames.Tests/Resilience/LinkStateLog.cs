using System.Threading.Channels;
using Mcp.Frames.Resilience;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>
/// Watches a link from before its start (<see cref="ReconnectingLink.WatchAsync"/>) and keeps every change, so that a
/// test can take them one by one, bounded, and compare the whole sequence at the end.
/// </summary>
internal sealed class LinkStateLog
{
    private readonly Channel<LinkStateChange> _pending = Channel.CreateUnbounded<LinkStateChange>();
    private readonly List<LinkStateChange> _all = [];

    public LinkStateLog(ReconnectingLink link)
    {
        // The watch registers synchronously, on its first MoveNextAsync, so no change made after this is missed.
        Ended = PumpAsync(link);
    }

    /// <summary>Completes when the watch ends (after Stopped or Faulted).</summary>
    public Task Ended { get; }

    /// <summary>Every change so far, in order.</summary>
    public IReadOnlyList<LinkStateChange> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>The next change not taken yet.</summary>
    public async Task<LinkStateChange> NextAsync() => await _pending.Reader.ReadAsync().AsTask().WaitAsync(Bounded.Timeout);

    /// <summary>The next backoff wait (a change with a delay), skipping the changes before it.</summary>
    public Task<LinkStateChange> NextWaitAsync() => NextAsync(c => c.Delay is not null);

    /// <summary>The next change into <paramref name="state"/>, skipping the changes before it.</summary>
    public Task<LinkStateChange> NextAsync(LinkState state) => NextAsync(c => c.Current == state);

    private async Task<LinkStateChange> NextAsync(Func<LinkStateChange, bool> match)
    {
        while (true)
        {
            LinkStateChange change = await NextAsync();
            if (match(change))
            {
                return change;
            }
        }
    }

    private async Task PumpAsync(ReconnectingLink link)
    {
        await foreach (LinkStateChange change in link.WatchAsync())
        {
            lock (_all)
            {
                _all.Add(change);
            }

            _pending.Writer.TryWrite(change);
        }

        _pending.Writer.TryComplete();
    }
}
