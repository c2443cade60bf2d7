using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.Devices;

/// <summary>
/// Holds the desired configuration from a JSON file and watches the file: a valid edit replaces it and raises
/// <see cref="Changed"/>; an invalid edit is refused with a logged error naming the problem, and the last good
/// configuration stays in force.
/// </summary>
public sealed partial class ConfigSyncService : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _debounce;
    private readonly Lock _lock = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _reloadTimer;
    private DesiredConfiguration _current = DesiredConfiguration.Empty;
    private string? _lastError;

    /// <summary>Creates the service; <see cref="Start"/> loads the file.</summary>
    /// <param name="path">The desired-configuration file.</param>
    /// <param name="logger">Where refused edits are reported.</param>
    /// <param name="timeProvider">The clock for the debounce.</param>
    /// <param name="debounce">How long to wait after a change before reading the file (editors write in steps; default 200 ms).</param>
    public ConfigSyncService(string path, ILogger<ConfigSyncService>? logger = null, TimeProvider? timeProvider = null, TimeSpan? debounce = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = System.IO.Path.GetFullPath(path);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _debounce = debounce ?? TimeSpan.FromMilliseconds(200);
    }

    /// <summary>Raised after a valid new configuration took effect.</summary>
    public event EventHandler? Changed;

    /// <summary>The file.</summary>
    public string Path => _path;

    /// <summary>The configuration in force (the last good one).</summary>
    public DesiredConfiguration Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>Why the last edit was refused, or <see langword="null"/> when the file in force is the file on disk.</summary>
    public string? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    /// <summary>How many edits took effect after the first load.</summary>
    public int Reloads { get; private set; }

    /// <summary>Loads the file and starts watching it.</summary>
    /// <exception cref="InvalidDataException">The file is missing or invalid at start; the message names the problem.</exception>
    public void Start()
    {
        DesiredConfiguration initial = DesiredConfiguration.Load(_path);
        lock (_lock)
        {
            _current = initial;
        }

        _reloadTimer = _time.CreateTimer(static s => ((ConfigSyncService)s!).Reload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(System.IO.Path.GetDirectoryName(_path)!, System.IO.Path.GetFileName(_path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnFileEvent;
        _watcher.Created += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Reads the file now. A valid file takes effect; an invalid one is logged and refused.</summary>
    /// <returns><see langword="true"/> when the file took effect.</returns>
    public bool Reload()
    {
        DesiredConfiguration next;
        try
        {
            next = DesiredConfiguration.Load(_path);
        }
        catch (InvalidDataException ex)
        {
            // Logged before LastError shows it, so whoever sees LastError finds the log entry already written.
            LogRefused(_logger, _path, ex.Message);
            lock (_lock)
            {
                _lastError = ex.Message;
            }

            return false;
        }

        lock (_lock)
        {
            _current = next;
            _lastError = null;
            Reloads++;
        }

        LogApplied(_logger, _path, next.DeviceIds.Count);
        Changed?.Invoke(this, EventArgs.Empty);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _watcher?.Dispose();
        _reloadTimer?.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) => _reloadTimer?.Change(_debounce, Timeout.InfiniteTimeSpan);

    [LoggerMessage(1, LogLevel.Error, "Desired configuration {Path}: edit refused, the last good configuration stays in force: {Problem}")]
    private static partial void LogRefused(ILogger logger, string path, string problem);

    [LoggerMessage(2, LogLevel.Information, "Desired configuration {Path}: applied ({Devices} devices)")]
    private static partial void LogApplied(ILogger logger, string path, int devices);
}
