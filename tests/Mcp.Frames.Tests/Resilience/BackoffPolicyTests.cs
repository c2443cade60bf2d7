using Mcp.Frames.Resilience;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

public class BackoffPolicyTests
{
    [Test]
    public void Cap_grows_by_the_multiplier_and_stops_at_the_maximum()
    {
        var policy = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(100), Maximum = TimeSpan.FromSeconds(1), Multiplier = 2 };
        Assert.That(
            Enumerable.Range(1, 6).Select(a => policy.Cap(a).TotalMilliseconds),
            Is.EqualTo(new double[] { 100, 200, 400, 800, 1000, 1000 }));
    }

    [Test]
    public void Delays_stay_within_full_jitter_bounds_and_spread_over_them()
    {
        var policy = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(50), Maximum = TimeSpan.FromSeconds(5), Multiplier = 3 };
        var random = new Random(42);
        for (int attempt = 1; attempt <= 12; attempt++)
        {
            TimeSpan cap = policy.Cap(attempt);
            var delays = Enumerable.Range(0, 500).Select(_ => policy.NextDelay(attempt, random)).ToList();
            Assert.That(delays, Has.All.InRange(TimeSpan.Zero, cap), $"attempt {attempt}");

            // Full jitter: the delays cover the range, not just its top.
            Assert.That(delays.Min(), Is.LessThan(cap * 0.1), $"attempt {attempt} min");
            Assert.That(delays.Max(), Is.GreaterThan(cap * 0.9), $"attempt {attempt} max");
        }
    }

    [Test]
    public void Same_seed_gives_the_same_sequence()
    {
        var policy = new BackoffPolicy();
        var a = Enumerable.Range(1, 10).Select(i => policy.NextDelay(i, new Random(7 + i))).ToList();
        var b = Enumerable.Range(1, 10).Select(i => policy.NextDelay(i, new Random(7 + i))).ToList();
        Assert.That(a, Is.EqualTo(b));
    }

    [TestCase("Initial")]
    [TestCase("Maximum")]
    [TestCase("Multiplier")]
    [TestCase("MaxAttempts")]
    public void Validation_names_the_bad_setting(string setting)
    {
        BackoffPolicy policy = setting switch
        {
            "Initial" => new BackoffPolicy { Initial = TimeSpan.FromSeconds(-1) },
            "Maximum" => new BackoffPolicy { Initial = TimeSpan.FromSeconds(2), Maximum = TimeSpan.FromSeconds(1) },
            "Multiplier" => new BackoffPolicy { Multiplier = 0.5 },
            _ => new BackoffPolicy { MaxAttempts = 0 },
        };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(policy.Validate);
        Assert.That(ex!.ParamName, Is.EqualTo(setting));
    }

    [Test]
    public void A_maximum_longer_than_a_timer_can_wait_is_refused()
    {
        Assert.DoesNotThrow(new BackoffPolicy { Maximum = TimeSpan.FromDays(24) }.Validate);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(new BackoffPolicy { Maximum = TimeSpan.FromDays(60) }.Validate);
        Assert.That((ex!.ParamName, ex.Message), Is.EqualTo(("Maximum", "Maximum must be at most 24 days. (Parameter 'Maximum')\nActual value was 60.00:00:00.".Replace("\n", Environment.NewLine))));
    }
}
