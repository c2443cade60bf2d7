using System.Buffers.Binary;
using Mcp.Frames.Connections;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// Two connections over a seeded faulty link (drops, duplicates, bit flips, split and delayed writes, and answers held
/// past their request's deadline): every request
/// ends with its own answer or a typed error within its deadline — never with another request's answer.
/// </summary>
public class FaultyLinkTests : ConnectionTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(50);

    [TestCase(2030, 2000)]
    [TestCase(77, 600)]
    public async Task Every_request_gets_its_own_answer_or_a_typed_error_never_a_wrong_one(int seed, int requests)
    {
        var faults = new FaultyLinkOptions
        {
            DropByte = 0.002,
            FlipBit = 0.001,
            DuplicateRun = 0.001,
            DuplicateWrite = 0.01,
            MaxChunk = 7,
            Yield = 0.2,
        };

        // Answers also stall now and then for longer than a request's timeout: they arrive after it gave up.
        FaultyLinkOptions answers = faults with { HoldEvery = 200, HoldFor = Timeout + (2 * Stall) };
        FaultyDuplexPipe link = Track(new FaultyDuplexPipe(seed, faults, answers, Clock));
        FrameConnection gateway = Track(new FrameConnection(link.A, options: Options("gw", o =>
        {
            o.RequestTimeout = Timeout;
            o.StallTimeout = Stall;
            o.MaxInFlight = 64;
        })));
        FrameConnection device = Track(new FrameConnection(link.B, options: Options("dev", o =>
        {
            o.StallTimeout = Stall;
            o.HandlerConcurrency = 8;
            o.InboundRequestQueueCapacity = 256;
        })));
        gateway.Start();
        device.Start();

        var outcomes = new Dictionary<string, int>();
        const int Batch = 50;
        for (int first = 0; first < requests; first += Batch)
        {
            Task<string>[] batch = Enumerable.Range(first, Math.Min(Batch, requests - first)).Select(id => RunOneAsync(gateway, id)).ToArray();
            Task all = Task.WhenAll(batch);

            // Let the link settle, let stall recovery act, let it settle again, then pass the deadline once: after
            // that every request must end without the clock moving again.
            await SettleAsync(batch, link, gateway, device);
            if (!all.IsCompleted)
            {
                Clock.Advance(Stall);
                await SettleAsync(batch, link, gateway, device);
            }

            if (!all.IsCompleted)
            {
                Clock.Advance(Timeout);
            }

            await all.WaitAsync(Bound); // every deadline has passed: nothing may still be waiting
            foreach (Task<string> result in batch)
            {
                outcomes[result.Result] = outcomes.GetValueOrDefault(result.Result) + 1;
            }
        }

        TestContext.Out.WriteLine($"seed {seed}, {requests} requests: " + string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
        TestContext.Out.WriteLine($"gateway→device: {link.AToB}");
        TestContext.Out.WriteLine($"device→gateway: {link.BToA}");
        TestContext.Out.WriteLine($"gateway receiver: {gateway.ReceiverCounters}; unmatched {gateway.Statistics.UnmatchedResponses}, malformed {gateway.Statistics.MalformedFrames}");
        TestContext.Out.WriteLine($"device receiver: {device.ReceiverCounters}; malformed {device.Statistics.MalformedFrames}, handled {device.Statistics.InboundRequestsHandled}");

        int correct = outcomes.GetValueOrDefault("correct");
        Assert.Multiple(() =>
        {
            Assert.That(outcomes.GetValueOrDefault("WRONG"), Is.Zero, "a request completed with another request's answer");
            Assert.That(outcomes.Keys.Where(k => k.StartsWith("untyped", StringComparison.Ordinal)), Is.Empty);
            Assert.That(outcomes.Keys.Where(k => k.StartsWith("past deadline", StringComparison.Ordinal) || k == "early timeout"), Is.Empty);
            Assert.That(correct, Is.GreaterThan(requests * 2 / 3), "correct answers are the large majority");
            Assert.That(outcomes.Values.Sum(), Is.EqualTo(requests));
            Assert.That(link.AToB.Dropped + link.BToA.Dropped + link.AToB.Flipped + link.BToA.Flipped, Is.GreaterThan(0), "the link did misbehave");
            Assert.That(link.AToB.DuplicatedRuns + link.BToA.DuplicatedRuns + link.AToB.DuplicatedWrites + link.BToA.DuplicatedWrites, Is.GreaterThan(0), "the link did duplicate");
            Assert.That(link.BToA.Held, Is.GreaterThan(0), "answers were held past their deadline");
            Assert.That(gateway.Statistics.UnmatchedResponses, Is.GreaterThan(0), "late answers arrived, and were dropped");
            Assert.That(gateway.IsOpen && device.IsOpen, Is.True);
        });
    }

    /// <summary>A PING whose body names the request and carries a check of that name.</summary>
    private async Task<string> RunOneAsync(FrameConnection gateway, int id)
    {
        byte[] body = Body(id);
        long start = Clock.GetTimestamp();
        string outcome;
        try
        {
            using Response response = await gateway.SendRequestAsync(McpCommand.Ping, body, new RequestOptions { MaxRetries = 0 });
            ReadOnlySpan<byte> echo = response.Body.Span;
            if (echo.SequenceEqual(body))
            {
                outcome = "correct";
            }
            else if (echo.Length == 8 && echo.SequenceEqual(Body(BinaryPrimitives.ReadInt32LittleEndian(echo))))
            {
                outcome = "WRONG";
            }
            else
            {
                // The link corrupted the PING or its echo in a way the 8-bit XOR cannot see (PROTOCOL.md §1.1):
                // the typed client reports this as a ProtocolException.
                outcome = nameof(ProtocolException) + " (echo corrupted in transit)";
            }
        }
        catch (Exception ex) when (ex is RequestTimeoutException or RemoteStatusException or ConnectionClosedException or ProtocolException)
        {
            outcome = ex.GetType().Name;
            if (ex is RemoteStatusException status)
            {
                outcome += " " + status.StatusName;
            }
        }
        catch (Exception ex)
        {
            outcome = $"untyped {ex.GetType().Name}: {ex.Message}";
        }

        // The driver moves the clock in steps of Stall then Timeout, so an outcome is seen at most Timeout + Stall
        // after the start; a timeout must never come before the deadline.
        TimeSpan elapsed = Clock.GetElapsedTime(start);
        if (elapsed > Timeout + Stall)
        {
            return "past deadline: " + outcome;
        }

        return outcome == nameof(RequestTimeoutException) && elapsed < Timeout ? "early timeout" : outcome;
    }

    private static byte[] Body(int id)
    {
        byte[] body = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(body, id);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), unchecked(((uint)id * 2654435761u) ^ 0x5BD1E995u));
        return body;
    }

    /// <summary>
    /// Waits (real time, bounded) until the batch is done or nothing moves any more on the link: no bytes pumped,
    /// parsed or answered for three polls in a row. Settling too early only turns late answers into timeouts.
    /// </summary>
    private static async Task SettleAsync(Task<string>[] batch, FaultyDuplexPipe link, FrameConnection gateway, FrameConnection device)
    {
        Task all = Task.WhenAll(batch);
        static long Parsed(FrameParserCounters c) => c.DeliveredBytes + c.SkippedBytes + c.BadChecksum + c.Oversize + c.Stalled + c.Truncated;
        long Progress() => link.AToB.BytesOut + link.BToA.BytesOut + Parsed(gateway.ReceiverCounters) + Parsed(device.ReceiverCounters)
            + gateway.Statistics.RequestsAnswered + device.Statistics.InboundRequestsHandled + link.AToB.BytesIn + link.BToA.BytesIn
            + batch.Count(t => t.IsCompleted);

        long last = -1;
        int still = 0;
        for (int i = 0; i < 400 && still < 3 && !all.IsCompleted; i++)
        {
            await Task.WhenAny(all, Task.Delay(5));
            long now = Progress();
            still = now == last ? still + 1 : 0;
            last = now;
        }
    }
}
