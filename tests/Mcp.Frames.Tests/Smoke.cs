using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests;

public class Smoke
{
    [Test]
    public void EmptyPing() => Assert.That(FrameWriter.ToArray(0x02, []), Is.EqualTo(new byte[] { 0x5A, 0x02, 0x00, 0x00, 0x58 }));
}
