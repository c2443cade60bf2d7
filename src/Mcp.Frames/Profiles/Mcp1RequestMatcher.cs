namespace Mcp.Frames.Profiles;

/// <summary>
/// MCP/1 sequence numbers (PROTOCOL.md §2.1): one 8-bit space per sender, unique among requests in flight, handed
/// out round-robin so that a just-freed value is reused as late as possible, and kept out of use for a while after
/// its request was abandoned.
/// </summary>
internal sealed class Mcp1RequestMatcher : IRequestMatcher
{
    private const int SeqCount = 256;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly bool[] _inUse = new bool[SeqCount];
    private readonly long[] _retiredUntil = new long[SeqCount];
    private readonly SemaphoreSlim _released = new(0, int.MaxValue);
    private int _next;
    private int _waiters;

    public Mcp1RequestMatcher(TimeProvider time) => _time = time;

    public bool TryAcquire(byte command, out int key)
    {
        key = TryAcquire(command, out _, registerWaiter: false);
        return key >= 0;
    }

    public ValueTask<int> AcquireAsync(byte command, CancellationToken cancellationToken)
    {
        int key = TryAcquire(command, out TimeSpan wait, registerWaiter: true);
        return key >= 0 ? new ValueTask<int>(key) : AcquireSlowAsync(command, wait, cancellationToken);
    }

    public void WriteRequestHeader(int key, Span<byte> destination) => destination[0] = (byte)key;

    public bool TryGetResponseKey(byte command, ReadOnlySpan<byte> payload, out int key)
    {
        if (payload.IsEmpty)
        {
            key = -1;
            return false;
        }

        key = ((command & 0x7F) << 8) | payload[0];
        return true;
    }

    public void Release(int key, bool abandoned, TimeSpan retireFor)
    {
        int seq = key & 0xFF;
        bool wake;
        lock (_lock)
        {
            _inUse[seq] = false;
            if (abandoned)
            {
                _retiredUntil[seq] = _time.GetTimestamp() + (long)(retireFor.TotalSeconds * _time.TimestampFrequency);
            }

            wake = _waiters > 0;
        }

        if (wake)
        {
            _released.Release();
        }
    }

    public string DescribeKey(int key) => $"seq {key & 0xFF}";

    private int TryAcquire(byte command, out TimeSpan wait, bool registerWaiter)
    {
        wait = Timeout.InfiniteTimeSpan;
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            long earliest = long.MaxValue;
            for (int i = 0; i < SeqCount; i++)
            {
                int seq = (_next + i) & 0xFF;
                if (_inUse[seq])
                {
                    continue;
                }

                if (_retiredUntil[seq] > now)
                {
                    earliest = Math.Min(earliest, _retiredUntil[seq]);
                    continue;
                }

                _inUse[seq] = true;
                _next = (seq + 1) & 0xFF;
                return ((command & 0x7F) << 8) | seq;
            }

            if (earliest != long.MaxValue)
            {
                wait = _time.GetElapsedTime(now, earliest);
            }

            if (registerWaiter)
            {
                _waiters++;
            }

            return -1;
        }
    }

    private async ValueTask<int> AcquireSlowAsync(byte command, TimeSpan wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                // Wake on a release, or when the earliest retired seq comes back into use.
                using var timeout = wait == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(wait, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout?.Token ?? CancellationToken.None);
                await _released.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The earliest retirement ended: try again.
            }
            finally
            {
                lock (_lock)
                {
                    _waiters--;
                }
            }

            int key = TryAcquire(command, out wait, registerWaiter: true);
            if (key >= 0)
            {
                return key;
            }
        }
    }
}
