namespace Mcp.Frames.Profiles;

/// <summary>
/// One request per command in flight, keyed by the command. An abandoned command stays blocked for the
/// retirement period before the next request of that command may go out.
/// </summary>
internal sealed class LegacyRequestMatcher : IRequestMatcher
{
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim?[] _perCommand = new SemaphoreSlim?[128];

    public LegacyRequestMatcher(TimeProvider time) => _time = time;

    public bool TryAcquire(byte command, out int key)
    {
        key = command & 0x7F;
        return Gate(key).Wait(0, CancellationToken.None);
    }

    public ValueTask<int> AcquireAsync(byte command, CancellationToken cancellationToken)
    {
        int key = command & 0x7F;
        SemaphoreSlim gate = Gate(key);
        if (gate.Wait(0, CancellationToken.None))
        {
            return new ValueTask<int>(key);
        }

        return WaitAsync(gate, key, cancellationToken);
    }

    public void WriteRequestHeader(int key, Span<byte> destination)
    {
    }

    public bool TryGetResponseKey(byte command, ReadOnlySpan<byte> payload, out int key)
    {
        key = command & 0x7F;
        return true;
    }

    public void Release(int key, bool abandoned, TimeSpan retireFor)
    {
        SemaphoreSlim gate = Gate(key);
        if (!abandoned || retireFor <= TimeSpan.Zero)
        {
            gate.Release();
            return;
        }

        // Keep the command blocked until a late answer can no longer arrive.
        ITimer? timer = null;
        timer = _time.CreateTimer(
            _ =>
            {
                gate.Release();
                timer?.Dispose();
            },
            null,
            retireFor,
            Timeout.InfiniteTimeSpan);
    }

    public string DescribeKey(int key) => $"cmd 0x{key:X2}";

    private static async ValueTask<int> WaitAsync(SemaphoreSlim gate, int key, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return key;
    }

    private SemaphoreSlim Gate(int key)
    {
        SemaphoreSlim? gate = Volatile.Read(ref _perCommand[key]);
        if (gate is null)
        {
            Interlocked.CompareExchange(ref _perCommand[key], new SemaphoreSlim(1, 1), null);
            gate = _perCommand[key]!;
        }

        return gate;
    }
}
