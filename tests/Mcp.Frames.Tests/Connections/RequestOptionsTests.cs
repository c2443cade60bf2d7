using Mcp.Frames.Connections;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

public class RequestOptionsTests
{
    [TestCase(0, "Timeout")]
    [TestCase(-5, "Timeout")]
    [TestCase(-1, "Timeout")]
    public void A_bad_timeout_is_refused_naming_it(int milliseconds, string name)
    {
        var options = new RequestOptions { Timeout = milliseconds == -1 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(milliseconds) };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.That(ex!.ParamName, Is.EqualTo(name));
    }

    [Test]
    public void Durations_beyond_what_a_timer_and_the_key_retirement_can_hold_are_refused_naming_them()
    {
        TimeSpan tooLong = RequestOptions.MaxTimeout + TimeSpan.FromTicks(1);
        ArgumentOutOfRangeException timeout = Assert.Throws<ArgumentOutOfRangeException>(new RequestOptions { Timeout = tooLong }.Validate)!;
        ArgumentOutOfRangeException backoff = Assert.Throws<ArgumentOutOfRangeException>(new RequestOptions { RetryBackoff = tooLong }.Validate)!;
        ArgumentOutOfRangeException connection = Assert.Throws<ArgumentOutOfRangeException>(new FrameConnectionOptions { RequestTimeout = tooLong }.Validate)!;
        ArgumentOutOfRangeException heartbeat = Assert.Throws<ArgumentOutOfRangeException>(new FrameConnectionOptions { HeartbeatInterval = TimeSpan.FromDays(60) }.Validate)!;
        Assert.Multiple(() =>
        {
            Assert.That(RequestOptions.MaxTimeout, Is.EqualTo(TimeSpan.FromDays(24)));
            Assert.That((timeout.ParamName, backoff.ParamName, connection.ParamName, heartbeat.ParamName), Is.EqualTo(("Timeout", "RetryBackoff", "RequestTimeout", "HeartbeatInterval")));
            Assert.That(timeout.Message, Does.Contain("at most 24 days"));
            Assert.That(heartbeat.Message, Does.Contain("60.00:00:00 was given"));
        });
        Assert.DoesNotThrow(new RequestOptions { Timeout = RequestOptions.MaxTimeout, RetryBackoff = RequestOptions.MaxTimeout }.Validate);
    }

    [Test]
    public async Task Requests_refused_for_a_too_long_timeout_take_no_match_key()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        await using var connection = new FrameConnection(a);
        await using var peer = new FrameConnection(b);
        connection.Start();
        peer.Start();
        var tooLong = new RequestOptions { Timeout = TimeSpan.FromDays(60) };
        for (int i = 0; i < 300; i++) // more than the 256 seqs
        {
            Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await connection.SendRequestAsync(0x02, new byte[] { 1 }, tooLong));
        }

        using Response answer = await connection.SendRequestAsync(0x02, new byte[] { 1 }).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 1 }), "PING echoed: every seq is still free");
    }

    [Test]
    public void Bad_retry_settings_are_refused_naming_them()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(new RequestOptions { MaxRetries = -1 }.Validate)!.ParamName, Is.EqualTo("MaxRetries"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(new RequestOptions { RetryBackoff = TimeSpan.FromMilliseconds(-1) }.Validate)!.ParamName, Is.EqualTo("RetryBackoff"));
        Assert.DoesNotThrow(new RequestOptions { Timeout = TimeSpan.FromMilliseconds(1), MaxRetries = 0, RetryBackoff = TimeSpan.Zero }.Validate);
    }

    [Test]
    public async Task A_request_with_bad_options_is_refused_before_anything_is_sent()
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        await using var connection = new FrameConnection(a);
        await using var peer = new FrameConnection(b);
        connection.Start();
        peer.Start();
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await connection.SendRequestAsync(0x02, ReadOnlyMemory<byte>.Empty, new RequestOptions { Timeout = TimeSpan.Zero }));
        Assert.That(connection.Statistics.FramesSent, Is.Zero);
    }
}
