using BenchmarkDotNet.Attributes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>
/// Events delivered to one subscriber: the device publishes MCP/1 EVENTs (4 values, 28-byte payload) with
/// <see cref="FrameConnection.SendOneWayAsync{TPayload}"/>; the gateway's <see cref="OneWaySubscription"/> is drained
/// with a <c>WaitToReadAsync</c>/<c>TryRead</c> loop. Each invocation delivers <see cref="Events"/> events; numbers are
/// per event, so events/s = 1e9 / Mean(ns). The publisher is started with a preallocated thread-pool work item, so
/// Allocated shows the cost of delivery alone.
/// </summary>
[MemoryDiagnoser]
public class EventDeliveryBenchmarks
{
    private const int Events = 1000;
    private readonly int[] _values = [2150, 50, -7, 1];
    private BenchLink _link = null!;
    private OneWaySubscription _subscription = null!;
    private Publisher _publisher = null!;

    [Params("memory", "tcp")]
    public string Link { get; set; } = "memory";

    [GlobalSetup]
    public void Setup()
    {
        _link = Link == "tcp" ? BenchLink.Tcp() : BenchLink.InMemory();
        _subscription = _link.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = McpCommand.Event, Capacity = Events, Overflow = OverflowPolicy.DropNewest });
        _publisher = new Publisher(_link.Device, _values, Events);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_subscription.Dropped != 0)
        {
            throw new InvalidOperationException($"{_subscription.Dropped} events were dropped; the numbers would not be per delivered event.");
        }

        _subscription.Dispose();
        await _link.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async ValueTask<int> DeliverToOneSubscriber()
    {
        ThreadPool.UnsafeQueueUserWorkItem(_publisher, preferLocal: false);
        int received = 0;
        int checksum = 0;
        while (received < Events)
        {
            if (_subscription.TryRead(out OneWayMessage message))
            {
                checksum += message.Payload.Length;
                message.Dispose();
                received++;
            }
            else if (!await _subscription.WaitToReadAsync())
            {
                break;
            }
        }

        return checksum;
    }

    private sealed class Publisher(FrameConnection device, int[] values, int count) : IThreadPoolWorkItem
    {
        private ushort _seq;

        public void Execute()
        {
            for (int i = 0; i < count; i++)
            {
                ValueTask send = device.SendOneWayAsync(McpCommand.Event, new EventPayload(1, _seq++, 0, values));
                if (send.IsCompleted)
                {
                    send.GetAwaiter().GetResult(); // consumes it (a pooled completion goes back to its pool)
                }
                else
                {
                    send.AsTask().GetAwaiter().GetResult(); // back-pressure: rare, and allowed to block the publisher
                }
            }
        }
    }
}
