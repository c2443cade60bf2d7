using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace Mcp.Frames.FirmwareSim.Faults;

/// <content>Stage two: writes what stage one queued, at its due time, chunk by chunk, in order.</content>
internal sealed partial class FaultPump
{
    /// <summary>Bytes written before a flush even while more emissions are queued.</summary>
    private const int FlushThreshold = 64 * 1024;

    private async Task EmitLoopAsync(CancellationToken cancellationToken)
    {
        ChannelReader<Emission> reader = _queue.Reader;
        bool unflushed = false;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out Emission emission))
                {
                    try
                    {
                        if (emission.Due > 0 && emission.Due > _time.GetTimestamp())
                        {
                            if (unflushed && !await FlushAsync(cancellationToken).ConfigureAwait(false))
                            {
                                return;
                            }

                            unflushed = false;
                            await PauseAsync(_time.GetElapsedTime(_time.GetTimestamp(), emission.Due), cancellationToken).ConfigureAwait(false);
                        }

                        if (emission.Chunks is null)
                        {
                            _sink.Write(emission.Bytes);
                            unflushed = true;

                            // A steady producer keeps the queue from ever running dry: flush by size too, so that the
                            // pipe's back pressure applies and unflushed bytes cannot pile up without bound.
                            if (_sink.CanGetUnflushedBytes && _sink.UnflushedBytes >= FlushThreshold)
                            {
                                if (!await FlushAsync(cancellationToken).ConfigureAwait(false))
                                {
                                    return;
                                }

                                unflushed = false;
                            }
                        }
                        else if (!await WriteChunksAsync(emission, cancellationToken).ConfigureAwait(false))
                        {
                            return;
                        }

                        if (emission.Disconnect)
                        {
                            await FlushAsync(cancellationToken).ConfigureAwait(false);
                            _controller.Counters.Disconnected();
                            _disconnect();
                            return;
                        }
                    }
                    finally
                    {
                        emission.Release();
                    }
                }

                if (unflushed)
                {
                    if (!await FlushAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    unflushed = false;
                }
            }
        }
        finally
        {
            while (reader.TryRead(out Emission left))
            {
                left.Release();
            }
        }
    }

    private async ValueTask<bool> WriteChunksAsync(Emission emission, CancellationToken cancellationToken)
    {
        LinkFaults faults = _direction(_controller.Current);
        int offset = 0;
        int[] chunks = emission.Chunks!;
        for (int i = 0; i < chunks.Length; i++)
        {
            _sink.Write(emission.Bytes.Slice(offset, chunks[i]));
            offset += chunks[i];
            if (!await FlushAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            if (i < chunks.Length - 1 && faults.ChunkGap > TimeSpan.Zero)
            {
                await PauseAsync(faults.ChunkGap, cancellationToken).ConfigureAwait(false);
            }
        }

        _controller.Counters.AddChunks(chunks.Length);
        return true;
    }

    private async Task PauseAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero || _hurry.IsCancellationRequested)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _hurry.Token);
        try
        {
            await Task.Delay(delay, _time, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Hurried: the link is closing; what is queued goes out now.
        }
    }

    private async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        FlushResult result = await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            SinkClosed = true;
            return false;
        }

        return true;
    }
}
