using System.Buffers;
using System.IO.Pipelines;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

[TestFixture]
[CancelAfter(30_000)]
public class InMemoryTransportTests : TransportTest
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Pair_is_cross_wired_and_carries_frames_both_ways()
    {
        (InMemoryTransport gateway, InMemoryTransport device) = InMemoryTransport.CreatePair("gateway", "device", TimeSpan.FromMilliseconds(50));
        await using (gateway)
        await using (device)
        {
            Assert.That(gateway.Name, Is.EqualTo("gateway"));
            Assert.That(device.Name, Is.EqualTo("device"));
            Assert.That(gateway.StallTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(50)));
            Assert.That(gateway.Peer, Is.SameAs(device));
            Assert.That(device.Peer, Is.SameAs(gateway));

            Task<FrameCheck> atDevice = FrameTraffic.ReadAsync(device.Input, 1000, stream: 1);
            Task<FrameCheck> atGateway = FrameTraffic.ReadAsync(gateway.Input, 700, stream: 2);
            await Task.WhenAll(FrameTraffic.WriteAsync(gateway.Output, 1000, stream: 1), FrameTraffic.WriteAsync(device.Output, 700, stream: 2)).WaitAsync(Limit);
            TcpTransportTests.AssertClean(await atDevice.WaitAsync(Limit), 1000);
            TcpTransportTests.AssertClean(await atGateway.WaitAsync(Limit), 700);
        }
    }

    [Test]
    public async Task Defaults_report_no_stall_timeout()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        await using (a)
        await using (b)
        {
            Assert.That(a.StallTimeout, Is.Null);
            Assert.That(a.Name, Is.EqualTo("memory a"));
            Assert.That(b.Name, Is.EqualTo("memory b"));
        }
    }

    [Test]
    public async Task Break_fails_pending_and_later_reads_and_flushes_on_both_ends()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair("a", "b", bufferSize: 64);
        await using (a)
        await using (b)
        {
            ValueTask<ReadResult> pendingRead = a.Input.ReadAsync();
            a.Output.Write(new byte[100]); // over the 64-byte limit and nobody reads at b: the flush waits
            ValueTask<FlushResult> pendingFlush = a.Output.FlushAsync();
            Assert.That(pendingRead.IsCompleted, Is.False);
            Assert.That(pendingFlush.IsCompleted, Is.False);

            b.Break(new IOException("cable cut"));

            var readError = Assert.ThrowsAsync<TransportException>(async () => await pendingRead.AsTask().WaitAsync(Limit));
            Assert.That(readError!.Message, Is.EqualTo("a: link broken: cable cut"));
            Assert.That(readError.InnerException, Is.TypeOf<IOException>());
            var flushError = Assert.ThrowsAsync<TransportException>(async () => await pendingFlush.AsTask().WaitAsync(Limit));
            Assert.That(flushError!.Message, Is.EqualTo("a: link broken: cable cut"));
            var peerError = Assert.ThrowsAsync<TransportException>(async () => await b.Input.ReadAsync());
            Assert.That(peerError!.Message, Is.EqualTo("b: link broken: cable cut"));
            Assert.ThrowsAsync<TransportException>(async () => await b.Output.WriteAsync(new byte[] { 1 }));
            Assert.That(a.IsBroken && b.IsBroken, Is.True);
        }
    }

    [Test]
    public async Task Break_without_a_cause_still_names_the_end()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        await using (a)
        await using (b)
        {
            a.Break();
            var error = Assert.ThrowsAsync<TransportException>(async () => await b.Input.ReadAsync());
            Assert.That(error!.Message, Is.EqualTo("memory b: link broken"));
        }
    }

    [Test]
    public async Task Breaking_after_an_end_was_disposed_still_fails_the_other_end()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        await using (b)
        {
            await a.DisposeAsync();
            a.Break(new TimeoutException("late"));

            var error = Assert.ThrowsAsync<TransportException>(async () => await b.Input.ReadAsync());
            Assert.That(error!.Message, Is.EqualTo("memory b: link broken: late"));
        }
    }

    [Test]
    public async Task Disposing_one_end_is_an_orderly_close_for_the_other()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        await using (b)
        {
            await FrameTraffic.WriteAsync(a.Output, 5);
            await a.DisposeAsync();

            FrameCheck check = await FrameTraffic.ReadAsync(b.Input, expected: int.MaxValue).WaitAsync(Limit);
            TcpTransportTests.AssertClean(check, 5);
            FlushResult flushed = await b.Output.WriteAsync(new byte[] { 1 });
            Assert.That(flushed.IsCompleted, Is.True, "the writer learns that nobody reads any more");
        }
    }

    [Test]
    public async Task Buffering_is_bounded()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair(bufferSize: 1024);
        await using (a)
        await using (b)
        {
            ValueTask<FlushResult> flush = a.Output.WriteAsync(new byte[4096]);
            Assert.That(flush.IsCompleted, Is.False, "a writer ahead of its reader by more than the buffer waits");

            ReadResult read = await b.Input.ReadAsync();
            b.Input.AdvanceTo(read.Buffer.End);
            FlushResult flushed = await flush.AsTask().WaitAsync(Limit);
            Assert.That(flushed.IsCompleted, Is.False);
        }
    }

    [Test]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InMemoryTransport.CreatePair(bufferSize: 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => InMemoryTransport.CreatePair(stallTimeout: TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => InMemoryTransport.CreatePair(firstName: ""));
    }
}
