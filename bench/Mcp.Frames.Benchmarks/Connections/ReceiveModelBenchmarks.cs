using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>
/// Why the stack's TCP round trip cannot reach the blocking raw-socket ping-pong without running user code on the
/// receive thread: the same PING bytes as <see cref="TcpRoundTripBenchmarks"/>, no library code, a blocking echo
/// thread on the device side, and four ways for the gateway side's answer to reach a caller that <c>await</c>s it.
/// Each invocation runs <see cref="Batch"/> sequential round trips; numbers are per round trip.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="Blocking"/> (baseline): the caller's own thread sends and blocks in <c>recv</c>.</item>
/// <item><see cref="ReceiveThread_ThreadPool"/>: a dedicated thread blocks in <c>recv</c> and hands the answer to the
/// caller through the thread pool. The best a stack can do that keeps user code off its receive thread and uses
/// blocking receives.</item>
/// <item><see cref="ReceiveThread_LeaderFollower"/>: two receive threads; the one that got the answer wakes the other
/// to go on receiving and runs the caller's continuation itself, so no user code runs while nobody receives.</item>
/// <item><see cref="ReceiveThread_Inline"/>: the caller's continuation runs on the receive thread, which stops
/// receiving until it returns. What this library refuses to do (CONVENTIONS.md: user code never runs on the read
/// loop).</item>
/// </list>
/// <para>All sockets are connected and accepted synchronously: after an asynchronous connect or accept the runtime
/// keeps the descriptor non-blocking and emulates blocking calls, which measures something else.</para>
/// </remarks>
[MemoryDiagnoser]
public class ReceiveModelBenchmarks
{
    private const int Batch = 100;
    private byte[] _request = null!;
    private byte[] _response = null!;
    private byte[] _buffer = null!;
    private readonly List<Socket> _sockets = [];
    private readonly List<Thread> _threads = [];
    private Socket _blocking = null!;
    private AwaitedReceiver _pooled = null!;
    private AwaitedReceiver _leaderFollower = null!;
    private AwaitedReceiver _inline = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] body = [1, 2, 3, 4, 5, 6, 7, 8];
        _request = FrameWriter.ToArray(McpCommand.Ping, [0, .. body]);
        _response = FrameWriter.ToArray(McpCommand.Ping | 0x80, [0, 0, .. body]);
        _buffer = new byte[_response.Length];
        _blocking = ConnectToEcho();
        _pooled = new AwaitedReceiver(ConnectToEcho(), _response.Length, ReceiveModel.ThreadPool);
        _leaderFollower = new AwaitedReceiver(ConnectToEcho(), _response.Length, ReceiveModel.LeaderFollower);
        _inline = new AwaitedReceiver(ConnectToEcho(), _response.Length, ReceiveModel.Inline);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (Socket socket in _sockets)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
        }

        _pooled.Stop();
        _leaderFollower.Stop();
        _inline.Stop();
        foreach (Thread thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _pooled.Join();
        _leaderFollower.Join();
        _inline.Join();
        _sockets.ForEach(s => s.Dispose());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int Blocking()
    {
        int total = 0;
        for (int i = 0; i < Batch; i++)
        {
            _blocking.Send(_request);
            total += BenchLink.ReceiveExactly(_blocking, _buffer);
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ReceiveThread_ThreadPool() => PingPongAsync(_pooled);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ReceiveThread_LeaderFollower() => PingPongAsync(_leaderFollower);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ReceiveThread_Inline() => PingPongAsync(_inline);

    private async Task<int> PingPongAsync(AwaitedReceiver receiver)
    {
        int total = 0;
        for (int i = 0; i < Batch; i++)
        {
            ValueTask answer = receiver.ExpectAnswer();
            receiver.Socket.Send(_request);
            await answer;
            total += _response.Length;
        }

        return total;
    }

    /// <summary>A loopback socket pair, connected synchronously, with a blocking echo thread on the far end.</summary>
    private Socket ConnectToEcho()
    {
        (Socket client, Socket server) = BenchLink.ConnectLoopback();
        _sockets.Add(client);
        _sockets.Add(server);
        _threads.Add(BenchLink.StartBlockingEcho(server, _request.Length, _response));
        return client;
    }


    private enum ReceiveModel
    {
        ThreadPool,
        LeaderFollower,
        Inline,
    }

    /// <summary>Receive thread(s) that complete the awaited answer one of three ways.</summary>
    private sealed class AwaitedReceiver : IValueTaskSource, IThreadPoolWorkItem
    {
        private readonly int _frameLength;
        private readonly ReceiveModel _model;
        private readonly SemaphoreSlim _leadership = new(0);
        private readonly Thread[] _threads;
        private ManualResetValueTaskSourceCore<bool> _core; // continuations run where SetResult is called
        private int _idleFollowers;
        private volatile bool _stopped;

        public AwaitedReceiver(Socket socket, int frameLength, ReceiveModel model)
        {
            Socket = socket;
            _frameLength = frameLength;
            _model = model;
            _threads = model == ReceiveModel.LeaderFollower
                ? [new Thread(ReceiveLoop), new Thread(FollowThenReceive)]
                : [new Thread(ReceiveLoop)];
            if (model == ReceiveModel.LeaderFollower)
            {
                _idleFollowers = 1;
            }

            foreach (Thread thread in _threads)
            {
                thread.IsBackground = true;
                thread.Name = $"receive ({model})";
                thread.Start();
            }
        }

        public Socket Socket { get; }

        /// <summary>Arms the wait for the next answer; call before sending the request.</summary>
        public ValueTask ExpectAnswer()
        {
            _core.Reset();
            return new ValueTask(this, _core.Version);
        }

        public void Stop()
        {
            _stopped = true;
            _leadership.Release(_threads.Length);
        }

        public void Join()
        {
            foreach (Thread thread in _threads)
            {
                thread.Join(TimeSpan.FromSeconds(5));
            }
        }

        void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

        private void FollowThenReceive()
        {
            _leadership.Wait();
            ReceiveLoop();
        }

        private void ReceiveLoop()
        {
            byte[] frame = new byte[_frameLength];
            while (!_stopped)
            {
                try
                {
                    if (BenchLink.ReceiveExactly(Socket, frame) < frame.Length)
                    {
                        return;
                    }
                }
                catch (SocketException)
                {
                    return;
                }

                switch (_model)
                {
                    case ReceiveModel.Inline:
                        _core.SetResult(true);
                        break;
                    case ReceiveModel.LeaderFollower when Interlocked.Decrement(ref _idleFollowers) >= 0:
                        _leadership.Release(); // the follower receives from now on
                        _core.SetResult(true);
                        Interlocked.Increment(ref _idleFollowers);
                        _leadership.Wait();
                        break;
                    case ReceiveModel.LeaderFollower:
                        Interlocked.Increment(ref _idleFollowers); // the other thread is busy: no follower to wake
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        break;
                    default:
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        break;
                }
            }
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
