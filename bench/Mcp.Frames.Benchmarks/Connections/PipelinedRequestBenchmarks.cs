using BenchmarkDotNet.Attributes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>
/// Requests with 1, 8 or 32 in flight (that many callers, each sending PINGs back to back), over an in-memory pipe
/// pair and over TCP loopback. Each invocation completes <see cref="Requests"/> requests; numbers are per request,
/// so requests/s = 1e9 / Mean(ns). The callers' own tasks (one per caller per invocation) are counted in Allocated.
/// </summary>
[MemoryDiagnoser]
public class PipelinedRequestBenchmarks
{
    private const int Requests = 512;
    private readonly byte[] _body = [1, 2, 3, 4, 5, 6, 7, 8];
    private BenchLink _link = null!;
    private Task[] _callers = null!;

    [Params("memory", "tcp")]
    public string Link { get; set; } = "memory";

    [Params(1, 8, 32)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Enough handler tasks on the device that it never becomes the limit.
        _link = Link == "tcp"
            ? BenchLink.Tcp(g => g.MaxInFlight = 64, d => d.HandlerConcurrency = 8)
            : BenchLink.InMemory(g => g.MaxInFlight = 64, d => d.HandlerConcurrency = 8);
        _callers = new Task[InFlight];
    }

    [GlobalCleanup]
    public Task Cleanup() => _link.DisposeAsync().AsTask();

    [Benchmark(OperationsPerInvoke = Requests)]
    public Task Pipelined()
    {
        int each = Requests / InFlight;
        for (int i = 0; i < _callers.Length; i++)
        {
            _callers[i] = CallerAsync(each);
        }

        return Task.WhenAll(_callers);
    }

    private async Task CallerAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            using Response response = await _link.Gateway.SendRequestAsync(McpCommand.Ping, _body);
        }
    }
}
