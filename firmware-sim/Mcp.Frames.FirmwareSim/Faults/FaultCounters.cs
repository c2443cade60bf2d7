namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>How many faults were injected since the host started (or since <see cref="Reset"/>), over all links.</summary>
public sealed class FaultCounters
{
    private long _bytesCorrupted;
    private long _bytesDropped;
    private long _framesDropped;
    private long _framesDuplicated;
    private long _garbageBytes;
    private long _framesDelayed;
    private long _chunks;
    private long _disconnects;
    private long _busyAnswers;
    private long _slowAnswers;
    private long _framesSilenced;

    /// <summary>Bytes XORed with a random mask.</summary>
    public long BytesCorrupted => Volatile.Read(ref _bytesCorrupted);

    /// <summary>Single bytes dropped.</summary>
    public long BytesDropped => Volatile.Read(ref _bytesDropped);

    /// <summary>Whole frames dropped.</summary>
    public long FramesDropped => Volatile.Read(ref _framesDropped);

    /// <summary>Frames sent twice.</summary>
    public long FramesDuplicated => Volatile.Read(ref _framesDuplicated);

    /// <summary>Garbage bytes inserted between frames.</summary>
    public long GarbageBytes => Volatile.Read(ref _garbageBytes);

    /// <summary>Frames held back by a delay or jitter.</summary>
    public long FramesDelayed => Volatile.Read(ref _framesDelayed);

    /// <summary>Separate chunks written because of chunking.</summary>
    public long Chunks => Volatile.Read(ref _chunks);

    /// <summary>Links disconnected by the disconnect-after fault or by <c>SimHost.DisconnectAllAsync</c>.</summary>
    public long Disconnects => Volatile.Read(ref _disconnects);

    /// <summary>Requests answered BUSY by the busy fault.</summary>
    public long BusyAnswers => Volatile.Read(ref _busyAnswers);

    /// <summary>Requests slowed by the slow fault.</summary>
    public long SlowAnswers => Volatile.Read(ref _slowAnswers);

    /// <summary>Frames (and stray bytes) lost while the device was silent.</summary>
    public long FramesSilenced => Volatile.Read(ref _framesSilenced);

    /// <summary>Sets every counter to zero.</summary>
    public void Reset()
    {
        Volatile.Write(ref _bytesCorrupted, 0);
        Volatile.Write(ref _bytesDropped, 0);
        Volatile.Write(ref _framesDropped, 0);
        Volatile.Write(ref _framesDuplicated, 0);
        Volatile.Write(ref _garbageBytes, 0);
        Volatile.Write(ref _framesDelayed, 0);
        Volatile.Write(ref _chunks, 0);
        Volatile.Write(ref _disconnects, 0);
        Volatile.Write(ref _busyAnswers, 0);
        Volatile.Write(ref _slowAnswers, 0);
        Volatile.Write(ref _framesSilenced, 0);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"corrupted {BytesCorrupted} B, dropped {BytesDropped} B and {FramesDropped} frames, duplicated {FramesDuplicated}, garbage {GarbageBytes} B, delayed {FramesDelayed}, chunks {Chunks}, disconnects {Disconnects}, busy {BusyAnswers}, slow {SlowAnswers}, silenced {FramesSilenced}";

    internal void AddBytesCorrupted(long n) => Interlocked.Add(ref _bytesCorrupted, n);

    internal void AddBytesDropped(long n) => Interlocked.Add(ref _bytesDropped, n);

    internal void FrameDropped() => Interlocked.Increment(ref _framesDropped);

    internal void FrameDuplicated() => Interlocked.Increment(ref _framesDuplicated);

    internal void AddGarbage(long n) => Interlocked.Add(ref _garbageBytes, n);

    internal void FrameDelayed() => Interlocked.Increment(ref _framesDelayed);

    internal void AddChunks(long n) => Interlocked.Add(ref _chunks, n);

    internal void Disconnected() => Interlocked.Increment(ref _disconnects);

    internal void BusyAnswered() => Interlocked.Increment(ref _busyAnswers);

    internal void SlowAnswered() => Interlocked.Increment(ref _slowAnswers);

    internal void Silenced() => Interlocked.Increment(ref _framesSilenced);
}
