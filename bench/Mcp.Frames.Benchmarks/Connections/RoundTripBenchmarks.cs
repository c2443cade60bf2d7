using BenchmarkDotNet.Attributes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>
/// One request at a time (PING with an 8-byte body, echoed by the device connection's built-in handler) over an
/// in-memory pipe pair: the connection's own cost per round trip, with no network. Each invocation runs
/// <see cref="Batch"/> sequential round trips; numbers are per round trip. The READ row reads 4 registers into the
/// caller's memory through <see cref="McpClient"/>, answered by a handler on the device connection.
/// </summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private const int Batch = 100;
    private readonly byte[] _body = [1, 2, 3, 4, 5, 6, 7, 8];
    private readonly byte[] _readAnswer = new byte[4 * 4];
    private readonly int[] _values = new int[4];
    private BenchLink _link = null!;
    private McpClient _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        _link = BenchLink.InMemory();
        _client = new McpClient(_link.Gateway);
        _link.Device.MapRequestHandler(McpCommand.Read, (request, ct) => request.ReplyAsync(0, _readAnswer, ct));
    }

    [GlobalCleanup]
    public Task Cleanup() => _link.DisposeAsync().AsTask();

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ConnectionPing_InMemory() => _link.PingAsync(_body, Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<TimeSpan> McpClientPing_InMemory() => BenchLink.PingAsync(_client, Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<int> McpClientRead_InMemory()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _client.ReadAsync(1, 0x10, _values);
        }

        return _values[0];
    }
}
