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
