namespace Mcp.Frames.Testing;

/// <summary>The bound on every wait the shared test support makes: long enough never to fire on a healthy run.</summary>
internal static class Limits
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
}
