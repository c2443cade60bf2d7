namespace Mcp.Frames.Profiles;

/// <summary>
/// A connection's requester-side state of a message profile: it hands out a match key per outgoing request, writes
/// the key into the request, finds the key of a received response, and takes keys back. Thread-safe.
/// </summary>
public interface IRequestMatcher
{
    /// <summary>Reserves a match key for a new request if one can be used right now (the fast path).</summary>
    /// <param name="command">The request's command.</param>
    /// <param name="key">The key; the connection matches the response by it.</param>
    /// <returns><see langword="false"/> when the caller must wait with <see cref="AcquireAsync"/>.</returns>
    bool TryAcquire(byte command, out int key);

    /// <summary>
    /// Reserves a match key for a new request, waiting while none can be used (MCP/1: every <c>seq</c> in flight or
    /// retired; legacy: a request of the same command in flight).
    /// </summary>
    /// <param name="command">The request's command.</param>
    /// <param name="cancellationToken">Gives up the wait.</param>
    /// <returns>The key; the connection matches the response by it.</returns>
    ValueTask<int> AcquireAsync(byte command, CancellationToken cancellationToken);

    /// <summary>Writes the request header for <paramref name="key"/> (MCP/1: the <c>seq</c>).</summary>
    /// <param name="key">A key from <see cref="AcquireAsync"/>.</param>
    /// <param name="destination">At least <see cref="IMessageProfile.RequestHeaderLength"/> bytes.</param>
    void WriteRequestHeader(int key, Span<byte> destination);

    /// <summary>Computes the key a received response answers.</summary>
    /// <param name="command">The response's command.</param>
    /// <param name="payload">The response's payload.</param>
    /// <param name="key">The key.</param>
    /// <returns><see langword="false"/> when the response cannot name a key.</returns>
    bool TryGetResponseKey(byte command, ReadOnlySpan<byte> payload, out int key);

    /// <summary>
    /// Takes a key back. An abandoned key (its request timed out or was cancelled) is not handed out again for
    /// <paramref name="retireFor"/>, so that a late answer is dropped instead of completing a newer request (PROTOCOL.md §2.1).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="abandoned">Whether the request was given up without an answer.</param>
    /// <param name="retireFor">How long an abandoned key stays out of use.</param>
    void Release(int key, bool abandoned, TimeSpan retireFor);

    /// <summary>A short description of a key for messages (MCP/1: <c>seq 17</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The description.</returns>
    string DescribeKey(int key);
}
