using System.IO.Pipelines;
using Mcp.Frames.Transports;

namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// Sits between a link's transport and the device's frame connection and injects the host's byte and frame faults in
/// both directions (one <see cref="FaultPump"/> each). Owns the inner transport: disposing this disposes it.
/// </summary>
/// <remarks>
/// A disconnect (the disconnect-after fault, or <see cref="Disconnect"/>) ends the device's input normally, so its
/// connection closes as if the peer had hung up, and then closes the inner transport.
/// </remarks>
internal sealed class FaultyTransport : ITransport
{
    /// <summary>
    /// How long disposal lets the device's last frames reach the inner transport. Wall-clock on purpose: it bounds a
    /// teardown even when a test's fake clock stands still.
    /// </summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromMilliseconds(50);

    private readonly ITransport _inner;
    private readonly Pipe _toDevice = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _fromDevice = new(new PipeOptions(useSynchronizationContext: false));
    private readonly CancellationTokenSource _stop = new();
    private readonly FaultPump _inboundPump;
    private readonly FaultPump _outboundPump;
    private readonly Task _inbound;
    private readonly Task _outbound;
    private int _disconnected;
    private int _disposed;

    public FaultyTransport(ITransport inner, FaultController controller, int linkNumber, int maxPayload, TimeProvider time)
    {
        _inner = inner;
        Name = inner.Name;
        StallTimeout = inner.StallTimeout;
        ulong seed = controller.Current.Seed;
        _inboundPump = new FaultPump(inner.Input, _toDevice.Writer, controller, static s => s.Inbound, new FaultRandom(seed, FaultRandom.StreamOf(linkNumber, 0)), time, maxPayload, inner.StallTimeout ?? DefaultStallTimeout, Disconnect);
        _outboundPump = new FaultPump(_fromDevice.Reader, inner.Output, controller, static s => s.Outbound, new FaultRandom(seed, FaultRandom.StreamOf(linkNumber, 1)), time, maxPayload, null, Disconnect);
        _inbound = RunInboundAsync();
        _outbound = RunOutboundAsync();
    }

    public string Name { get; }

    public TimeSpan? StallTimeout { get; }

    public PipeReader Input => _toDevice.Reader;

    public PipeWriter Output => _fromDevice.Writer;

    /// <summary>Whether the link was ended by a disconnect fault.</summary>
    public bool WasDisconnected => Volatile.Read(ref _disconnected) != 0;

    /// <summary>Ends the link now: the device sees its peer hang up, the peer sees the transport close.</summary>
    public void Disconnect()
    {
        if (Interlocked.Exchange(ref _disconnected, 1) == 0)
        {
            _stop.Cancel();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The connection completed Output before disposing: let its last frames (a RESET answer) go out first.
        // Completing it again here is harmless, and ends the drain at once when nobody completed it.
        await _fromDevice.Writer.CompleteAsync().ConfigureAwait(false);
        _outboundPump.Hurry();
        try
        {
            await _outbound.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer is not reading; what is left is lost, as on a real link that closes.
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_inbound, _outbound).ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    public override string ToString() => Name;

    private async Task RunInboundAsync()
    {
        await Task.Yield();
        Exception? error = null;
        try
        {
            await _inboundPump.RunAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disconnected or disposed: the device sees an orderly end of stream.
        }
        catch (Exception ex)
        {
            error = ex; // the link failed (TransportException): the device's connection reports it
        }
        finally
        {
            await _toDevice.Writer.CompleteAsync(error).ConfigureAwait(false);
            await _inner.Input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task RunOutboundAsync()
    {
        await Task.Yield();
        Exception? error = null;
        try
        {
            await _outboundPump.RunAsync(_stop.Token).ConfigureAwait(false);
            if (!_outboundPump.SinkClosed && !_stop.IsCancellationRequested)
            {
                await _inner.Output.CompleteAsync().ConfigureAwait(false); // the device closed: orderly end (TCP FIN)
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disconnected or disposed.
        }
        catch (Exception ex)
        {
            error = ex;
            Disconnect(); // a dead output is a dead link: end the input too
        }
        finally
        {
            await _fromDevice.Reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
