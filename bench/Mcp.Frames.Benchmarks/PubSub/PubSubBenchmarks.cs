using System.Buffers;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Connections;
using Mcp.Frames.Transports;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Mcp.Frames.Benchmarks.PubSub;

/// <summary>
/// Events per second from a device to one subscriber over TCP loopback: our one-way messages (an MCP/1 EVENT
/// frame, delivered through a bounded subscriber queue) beside MQTTnet QoS 0 through its in-process broker on
/// 127.0.0.1, with the same payload size, in the same run.
/// </summary>
[MemoryDiagnoser]
public class PubSubBenchmarks
{
    private const int Events = 10_000;

    private readonly byte[] _payload = new byte[PayloadBytes];
    private TcpTransportListener? _listener;
    private FrameConnection? _device;
    private FrameConnection? _gateway;
    private OneWaySubscription? _subscription;

    private MqttServer? _broker;
    private IMqttClient? _publisher;
    private IMqttClient? _subscriber;
    private MqttApplicationMessage? _message;
    private int _mqttReceived;
    private int _mqttTarget;
    private TaskCompletionSource? _mqttDone;

    /// <summary>The payload of each event (an EVENT with subId, eventSeq, uptime and 6 values is 31 bytes).</summary>
    public const int PayloadBytes = 32;

    [GlobalSetup(Target = nameof(McpFramesEvents))]
    public void SetupOurs()
    {
        _listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0));
        ValueTask<ITransport> accept = _listener.AcceptAsync();
        ITransport client = new TcpTransportConnector("127.0.0.1", _listener.LocalEndPoint.Port).ConnectAsync().AsTask().GetAwaiter().GetResult();
        ITransport server = accept.AsTask().GetAwaiter().GetResult();
        _device = new FrameConnection(server, options: new FrameConnectionOptions { Name = "device" });
        _gateway = new FrameConnection(client, options: new FrameConnectionOptions { Name = "gateway" });
        _device.Start();
        _gateway.Start();
        _subscription = _gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = 0x40, Capacity = Events });
        new Random(1).NextBytes(_payload);
    }

    [GlobalCleanup(Target = nameof(McpFramesEvents))]
    public void CleanupOurs()
    {
        _subscription?.Dispose();
        _gateway?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _device?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Mcp.Frames one-way, 32 B")]
    public async Task McpFramesEvents()
    {
        Task<int> consumer = ConsumeAsync(_subscription!, Events);
        FrameConnection device = _device!;
        var payload = new BytesPayload(_payload);
        for (int i = 0; i < Events; i++)
        {
            await device.SendOneWayAsync(0x40, payload);
        }

        int received = await consumer.WaitAsync(TimeSpan.FromSeconds(30));
        if (received != Events)
        {
            throw new InvalidOperationException($"received {received} of {Events} events");
        }
    }

    [GlobalSetup(Target = nameof(MqttNetQos0))]
    public void SetupMqtt()
    {
        int port = FreePort();
        _broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .WithMaxPendingMessagesPerClient(Events * 2) // the default (250) would drop most of a burst
            .Build());
        _broker.StartAsync().GetAwaiter().GetResult();
        var factory = new MqttClientFactory();
        _publisher = factory.CreateMqttClient();
        _subscriber = factory.CreateMqttClient();
        MqttClientOptions Options(string id) => new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(id).Build();
        _publisher.ConnectAsync(Options("publisher")).GetAwaiter().GetResult();
        _subscriber.ConnectAsync(Options("subscriber")).GetAwaiter().GetResult();
        _subscriber.ApplicationMessageReceivedAsync += _ =>
        {
            if (Interlocked.Increment(ref _mqttReceived) == Volatile.Read(ref _mqttTarget))
            {
                _mqttDone!.TrySetResult();
            }

            return Task.CompletedTask;
        };
        _subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("ev", MqttQualityOfServiceLevel.AtMostOnce).Build()).GetAwaiter().GetResult();
        new Random(1).NextBytes(_payload);
        _message = new MqttApplicationMessageBuilder().WithTopic("ev").WithPayload(_payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).Build();
    }

    [GlobalCleanup(Target = nameof(MqttNetQos0))]
    public void CleanupMqtt()
    {
        _publisher?.Dispose();
        _subscriber?.Dispose();
        _broker?.StopAsync().GetAwaiter().GetResult();
        _broker?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "MQTTnet QoS 0 via broker, 32 B")]
    public async Task MqttNetQos0()
    {
        _mqttDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _mqttReceived, 0);
        Volatile.Write(ref _mqttTarget, Events);
        IMqttClient publisher = _publisher!;
        for (int i = 0; i < Events; i++)
        {
            await publisher.PublishAsync(_message!);
        }

        await _mqttDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<int> ConsumeAsync(OneWaySubscription subscription, int count)
    {
        int received = 0;
        while (received < count && await subscription.WaitToReadAsync())
        {
            while (received < count && subscription.TryRead(out OneWayMessage message))
            {
                message.Dispose();
                received++;
            }
        }

        return received;
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
