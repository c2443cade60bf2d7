using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>
/// The base of the gateway tests: the guard of <see cref="GuardedTest"/>, collecting Debug and above; what a test
/// started is stopped at the end with <see cref="GuardedTest.Track{T}"/> or <see cref="GuardedTest.Defer"/>.
/// </summary>
public abstract class GatewayTestBase : GuardedTest
{
    protected GatewayTestBase()
        : base(LogLevel.Debug)
    {
    }
}
