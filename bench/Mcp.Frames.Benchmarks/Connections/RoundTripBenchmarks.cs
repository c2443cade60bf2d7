using BenchmarkDotNet.Attributes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>
/// One request at a time (PING with an 8-byte body, echoed by the device connection's built-in handler) over an
/// in-memory pipe pair: the connection's own cost per round trip, with no network. Each invocation runs
/// <see cref="Batch"/> sequential round trips; numbers are per round trip.
/// </summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private const int Batch = 100;
    private readonly byte[] _body = [1, 2, 3, 4, 5, 6, 7, 8];
    private BenchLink _link = null!;
    private McpClient _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        _link = BenchLink.InMemory();
        _client = new McpClient(_link.Gateway);
    }

    [GlobalCleanup]
    public Task Cleanup() => _link.DisposeAsync().AsTask();

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ConnectionPing_InMemory() => _link.PingAsync(_body, Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<TimeSpan> McpClientPing_InMemory() => BenchLink.PingAsync(_client, Batch);
}
