using Mcp.Frames.FirmwareSim.Modules;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>
/// One SUBSCRIBE on one link (PROTOCOL.md §2.3): a timer on the device clock that reads the registers every period and
/// publishes an EVENT (periodic), or only when a value changed since the last EVENT (on change). <c>eventSeq</c> counts
/// the EVENTs this subscription published, from 0, wrapping; an EVENT lost on the way (a full queue, a fault) leaves a
/// gap.
/// </summary>
internal sealed class Subscription : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SimDevice _device;
    private readonly SimModule _module;
    private readonly Action<PendingEvent> _publish;
    private ITimer? _timer;
    private int[] _last;
    private ushort _nextSeq;
    private bool _disposed;

    public Subscription(byte id, SubscribeRequest request, SimDevice device, SimModule module, Action<PendingEvent> publish)
    {
        Id = id;
        Request = request;
        _device = device;
        _module = module;
        _publish = publish;
        _last = new int[request.Count];
        device.ReadForEvent(module, request.Register, _last); // the baseline an on-change subscription compares with
    }

    public byte Id { get; }

    public SubscribeRequest Request { get; }

    /// <summary>Starts publishing: the first check is one period from now.</summary>
    public void Start(TimeProvider time)
    {
        var period = TimeSpan.FromMilliseconds(Request.PeriodMs);
        lock (_lock)
        {
            if (!_disposed)
            {
                _timer = time.CreateTimer(static state => ((Subscription)state!).Tick(), this, period, period);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Tick()
    {
        PendingEvent evt;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            int[] values = new int[Request.Count];
            _device.ReadForEvent(_module, Request.Register, values);
            if (Request.Mode == SubscribeMode.OnChange && values.AsSpan().SequenceEqual(_last))
            {
                return;
            }

            _last = values;
            evt = new PendingEvent(Id, _nextSeq, unchecked((uint)(long)_device.Uptime.TotalMilliseconds), values);
            _nextSeq = unchecked((ushort)(_nextSeq + 1));
        }

        _publish(evt);
    }
}

/// <summary>An EVENT waiting to be sent.</summary>
internal readonly record struct PendingEvent(byte SubscriptionId, ushort EventSeq, uint UptimeMs, int[] Values);
