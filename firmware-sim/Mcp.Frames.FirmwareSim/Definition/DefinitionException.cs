namespace Mcp.Frames.FirmwareSim.Definition;

/// <summary>
/// A device definition (or a stored configuration file) is invalid. The message names the file, the JSON path of the
/// bad field (such as <c>$.modules[2].registers[1].access</c>) and what is wrong with it.
/// </summary>
public sealed class DefinitionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DefinitionException()
        : this("the definition is invalid", "$", null)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public DefinitionException(string message)
        : this(message, "$", null)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public DefinitionException(string message, Exception? innerException)
        : this(message, "$", null, innerException)
    {
    }

    /// <summary>Creates the exception for a field.</summary>
    /// <param name="problem">What is wrong with the field.</param>
    /// <param name="jsonPath">The field's JSON path, such as <c>$.modules[0].slot</c>.</param>
    /// <param name="source">The file (or other source) the definition came from, if known.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DefinitionException(string problem, string jsonPath, string? source, Exception? innerException = null)
        : base(Format(problem, jsonPath, source), innerException)
    {
        Problem = problem;
        JsonPath = jsonPath;
        Source = source;
    }

    /// <summary>The JSON path of the bad field.</summary>
    public string JsonPath { get; }

    /// <summary>What is wrong with the field.</summary>
    public string Problem { get; }

    /// <summary>The file the definition came from, if known.</summary>
    public new string? Source { get; }

    /// <summary>The same problem, attributed to a source file.</summary>
    /// <param name="source">The file.</param>
    /// <returns>A new exception naming the file.</returns>
    public DefinitionException WithSource(string source) => new(Problem, JsonPath, source, InnerException);

    private static string Format(string problem, string jsonPath, string? source) =>
        source is null ? $"{jsonPath}: {problem}" : $"{source}: {jsonPath}: {problem}";
}
