namespace Mcp.Frames.Connections;

/// <content>The heartbeat: a request every interval; silence for interval × missed limit ends the link.</content>
public sealed partial class FrameConnection
{
    private int _heartbeatInProgress;

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

        if (_profile.HeartbeatCommand is { } command && Interlocked.Exchange(ref _heartbeatInProgress, 1) == 0)
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
        catch (Exception ex) when (ex is FrameConnectionException or OperationCanceledException or InvalidOperationException)
        {
            // A missed heartbeat is judged by silence, not by this request.
        }
        finally
        {
            Volatile.Write(ref _heartbeatInProgress, 0);
        }
    }
}
