namespace Mcp.Frames.Connections;

/// <content>The heartbeat: a request every interval; silence for interval × missed limit ends the link.</content>
public sealed partial class FrameConnection
{
    /// <summary>How long nothing has been received on this link.</summary>
    public TimeSpan SilentFor => _time.GetElapsedTime(Volatile.Read(ref _lastReceived));

    private void OnHeartbeatTick()
    {
        TimeSpan interval = _heartbeatInterval!.Value;
        TimeSpan silent = SilentFor;
        TimeSpan limit = interval * _heartbeatMissedLimit;
        if (silent >= limit)
        {
            Shutdown(
                ConnectionCloseReason.HeartbeatLost,
                $"heartbeat lost on {Name}: nothing received for {silent.TotalMilliseconds:0} ms (interval {interval.TotalMilliseconds:0} ms × {_heartbeatMissedLimit} missed)",
                null);
            return;
        }

        // One heartbeat per tick. Its timeout is the interval, so at most the previous one may still be finishing:
        // skipping a tick while it does would drop every other heartbeat whenever an answer (or a timeout) lands on
        // the tick.
        if (_profile.HeartbeatCommand is { } command)
        {
            _ = SendHeartbeatAsync(command, interval);
        }
    }

    private async Task SendHeartbeatAsync(byte command, TimeSpan interval)
    {
        try
        {
            // Any answer proves the link alive (the read loop notes every frame); the answer's content does not matter.
            using Response response = await SendRawRequestAsync(command, default, interval).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FrameConnectionException or OperationCanceledException or InvalidOperationException or ArgumentException)
        {
            // A missed heartbeat is judged by silence, not by this request (an ArgumentException: the link's limit
            // is too small even for an empty heartbeat; silence then ends the link).
        }
    }
}
