using Mcp.Frames.Fuzz;
using SharpFuzz;

// Mcp.Frames.Fuzz TARGET                 run under afl-fuzz (input on stdin, SharpFuzz's forkserver protocol)
// Mcp.Frames.Fuzz TARGET FILE|DIR...     replay inputs in this process; exit 1 on the first one that fails, printing it
// Mcp.Frames.Fuzz seeds TARGET DIR       write the target's starting inputs into DIR
if (args is ["seeds", string seedTarget, string directory] && FuzzTargets.All.ContainsKey(seedTarget))
{
    Directory.CreateDirectory(directory);
    int n = 0;
    foreach (byte[] seed in FuzzTargets.Seeds(seedTarget))
    {
        File.WriteAllBytes(Path.Combine(directory, $"seed-{n++:D2}"), seed);
    }

    Console.WriteLine($"{seedTarget}: {n} seeds in {directory}");
    return 0;
}

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out Action<byte[]>? target))
{
    Console.Error.WriteLine($"usage: Mcp.Frames.Fuzz TARGET [FILE|DIR...] | seeds TARGET DIR; targets: {string.Join(", ", FuzzTargets.All.Keys)}{(args.Length > 0 ? $" (not '{string.Join(' ', args)}')" : "")}");
    return 2;
}

if (args.Length == 1)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target(copy.ToArray());
    });
    return 0;
}

int replayed = 0;
foreach (string path in args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
{
    byte[] input = File.ReadAllBytes(path);
    try
    {
        target(input);
        replayed++;
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"{args[0]}: {path} ({input.Length} bytes: {Convert.ToHexString(input)}) fails: {ex}");
        return 1;
    }
}

Console.WriteLine($"{args[0]}: {replayed} inputs replayed, no failure");
return 0;
