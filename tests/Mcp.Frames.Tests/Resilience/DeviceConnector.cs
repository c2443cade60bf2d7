using System.Collections.Concurrent;
using System.IO.Pipelines;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>
/// Opens in-memory links to a fresh <see cref="MiniDevice"/> each time, refusing the first attempts, or every attempt
/// while <see cref="Refusing"/> is set. With <see cref="HoldDisposal"/> set, the client end of the next link does not
/// finish its disposal until the test releases it (a connection that is closed but not yet complete). The device of
/// attempt n has boot id <c>bootIdBase + n</c>, or <c>bootIdBase</c> for every attempt with <c>sameBoot</c> (a device
/// that stayed up while its port was closed and opened again).
/// </summary>
internal sealed class DeviceConnector(TimeProvider time, int refusals = 0, string name = "devices", uint bootIdBase = 1000, bool sameBoot = false) : ITransportConnector
{
    private int _refusals = refusals;
    private int _attempts;
    private volatile bool _refusing;

    public ConcurrentQueue<MiniDevice> Devices { get; } = new();

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Refuse every attempt from now on.</summary>
    public bool Refusing
    {
        get => _refusing;
        set => _refusing = value;
    }

    /// <summary>The next link's client end waits for this before it is disposed; set before that link is opened.</summary>
    public HeldDisposal? HoldDisposal { get; set; }

    public string Name => name;

    public MiniDevice LastDevice => Devices.Last();

    public ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
    {
        int attempt = Interlocked.Increment(ref _attempts);
        if (_refusing || Interlocked.Decrement(ref _refusals) >= 0)
        {
            throw new TransportException($"{name}: connection refused");
        }

        (InMemoryTransport client, InMemoryTransport device) = InMemoryTransport.CreatePair(name, name + " device");
        Devices.Enqueue(new MiniDevice(device, sameBoot ? bootIdBase : bootIdBase + (uint)attempt, time));
        return new ValueTask<ITransport>(HoldDisposal is { } hold ? new HeldTransport(client, hold) : client);
    }

    public async ValueTask DisposeDevicesAsync()
    {
        foreach (MiniDevice device in Devices)
        {
            await device.DisposeAsync();
        }
    }

    /// <summary>Lets a test see that a transport's disposal started and decide when it ends.</summary>
    internal sealed class HeldDisposal
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class HeldTransport(InMemoryTransport inner, HeldDisposal hold) : ITransport
    {
        public string Name => inner.Name;

        public TimeSpan? StallTimeout => inner.StallTimeout;

        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;

        public async ValueTask DisposeAsync()
        {
            hold.Started.TrySetResult();
            await hold.Release.Task;
            await inner.DisposeAsync();
        }
    }
}
