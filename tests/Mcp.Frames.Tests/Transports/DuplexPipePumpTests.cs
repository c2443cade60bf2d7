extern alias core;

using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using Mcp.Frames.Transports;
using NUnit.Framework;
using DuplexPipePump = core::Mcp.Frames.Transports.DuplexPipePump;
using TransportPipes = core::Mcp.Frames.Transports.TransportPipes;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// The pump every stream transport is built on, over a device whose calls never return. (Mcp.Frames.Serial compiles
/// the same internal source, hence the alias.)
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public class DuplexPipePumpTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A device that hangs: its reads and writes ignore cancellation and its close never finishes, as a serial driver
    /// can after the cable is pulled.
    /// </summary>
    private sealed class HangingDevicePump : DuplexPipePump
    {
        private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HangingDevicePump()
            : base("hanging", TransportPipes.Create(), TransportPipes.Create())
        {
            StartPumping();
        }

        public ConcurrentQueue<string> Missed { get; } = new();

        public TaskCompletionSource SendStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override TimeSpan SendGracePeriod => TimeSpan.FromMilliseconds(100);

        protected override TimeSpan CloseDeadline => TimeSpan.FromMilliseconds(200);

        protected override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            await _never.Task.ConfigureAwait(false);
            return 0;
        }

        protected override async ValueTask SendAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            SendStarted.TrySetResult();
            await _never.Task.ConfigureAwait(false);
        }

        protected override ValueTask CloseDeviceAsync() => new(_never.Task);

        protected override TransportException DescribeFailure(Exception error, bool receiving) => new($"hanging: {error.Message}", error);

        protected override void OnCloseDeadlineMissed(string what) => Missed.Enqueue(what);

        /// <summary>Lets the hung calls return, so the test leaves no task behind.</summary>
        public void Release() => _never.TrySetResult();
    }

    [Test]
    public async Task Disposal_keeps_its_deadlines_when_the_device_never_answers_and_releases_the_reader()
    {
        var pump = new HangingDevicePump();
        try
        {
            ValueTask<ReadResult> reading = pump.Input.ReadAsync();
            await pump.Output.WriteAsync(new byte[] { 0x5A, 0x01, 0x00, 0x00, 0x01 }).AsTask().WaitAsync(Limit);
            await pump.SendStarted.Task.WaitAsync(Limit);

            var clock = Stopwatch.StartNew();
            await pump.DisposeAsync().AsTask().WaitAsync(Limit);
            TimeSpan took = clock.Elapsed;

            // Grace period (100 ms), then the close deadline twice (200 ms each): about half a second, nowhere near
            // the hang. The bound is loose on purpose; what matters is that disposal returns at all.
            Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5)), "disposal waited for the hung device");
            Assert.That(pump.Missed, Is.EqualTo(new[] { "closing the device", "stopping the I/O loops" }));

            ReadResult end = await reading.AsTask().WaitAsync(Limit);
            Assert.That(end.IsCompleted, Is.True, "the reader of Input was not released");
        }
        finally
        {
            pump.Release();
        }
    }
}
