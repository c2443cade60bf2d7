using NUnit.Framework;

// Every test builds its own hosts, links, ports (port 0), pseudo-terminals and temporary directories, so fixtures
// run in parallel; most of the time goes to waiting on child processes and sockets.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(4)]
