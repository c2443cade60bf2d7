using System.Collections.Concurrent;
using System.Net;
using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Device;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.FirmwareSim.Persistence;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Hosting;

/// <summary>
/// A running simulated device: one <see cref="SimDevice"/> served on every configured endpoint (and on in-memory links
/// on request), with its faults, its request log and the embedding API for tests and demos.
/// </summary>
/// <example>
/// <code>
/// await using SimHost host = await SimHost.StartAsync(new SimHostOptions { Endpoints = { SimEndpoint.LoopbackTcp() } });
/// // connect a client to host.TcpEndPoint, or: ITransport link = host.ConnectInMemory();
/// host.Device.SetRegister(slot: 4, address: 0, value: 2500);        // the boiler is at 25.00 °C
/// host.Faults.Update(f => f with { Busy = 0.2 });                    // one request in five answered BUSY
/// SimRequestRecord read = await host.Requests.WaitForAsync(r => r.CommandName == "READ", cancellationToken: timeout);
/// </code>
/// </example>
public sealed partial class SimHost : IAsyncDisposable
{
    private static readonly TimeSpan PtyStallTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan PtyWriteTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReopenDelay = TimeSpan.FromSeconds(1);

    private readonly SimHostOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<DeviceSession, FaultyTransport> _sessions = new();
    private readonly List<TcpTransportListener> _listeners = [];
    private readonly List<Pty.PseudoTerminal> _ptys = [];
    private readonly List<Task> _loops = [];
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly SemaphoreSlim _rebootGate = new(1, 1);
    private readonly List<SimEndpointInfo> _endpoints = [];
    private readonly SessionSettings _sessionSettings;
    private int _linkNumbers = -1;
    private int _disposed;

    private SimHost(SimHostOptions options, SimDevice device, FaultController faults)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<SimHost>();
        Device = device;
        Faults = faults;
        Requests = new SimRequestLog(options.RequestLogCapacity);
        _sessionSettings = new SessionSettings
        {
            Device = device,
            Faults = faults,
            Log = Requests,
            RequestReboot = RebootAsync,
            Logger = options.LoggerFactory.CreateLogger<DeviceSession>(),
            MaxSubscriptionsPerLink = options.MaxSubscriptionsPerLink,
            EventQueueCapacity = options.EventQueueCapacity,
        };
    }

    /// <summary>
    /// Raised when a link is served (a TCP connection accepted, a serial or pty session started, an in-memory link made),
    /// before its first request is handled.
    /// </summary>
    public event Action<SimLinkInfo>? LinkOpened;

    /// <summary>Raised when a link has ended.</summary>
    public event Action<SimLinkInfo>? LinkClosed;

    /// <summary>The device's state: read and set registers and configuration from a test.</summary>
    public SimDevice Device { get; }

    /// <summary>The running faults: inject and clear them at any time.</summary>
    public FaultController Faults { get; }

    /// <summary>The requests the device received.</summary>
    public SimRequestLog Requests { get; }

    /// <summary>The endpoints being served, with the addresses they got.</summary>
    public IReadOnlyList<SimEndpointInfo> Endpoints => _endpoints;

    /// <summary>The first TCP endpoint's address (with the actual port when port 0 was asked for), if any.</summary>
    public IPEndPoint? TcpEndPoint => _endpoints.FirstOrDefault(e => e.TcpEndPoint is not null)?.TcpEndPoint;

    /// <summary>The device's clock.</summary>
    public TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>Links being served now.</summary>
    public int LinkCount => _sessions.Count;

    /// <summary>Subscriptions active now, over all links.</summary>
    public int SubscriptionCount => _sessions.Keys.Sum(s => s.SubscriptionCount);

    /// <summary>
    /// Builds the device (checking the definition and every module's settings), loads the stored configuration,
    /// and starts serving every endpoint.
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="cancellationToken">Stops waiting for a serial port to open.</param>
    /// <returns>The running host; dispose it to stop.</returns>
    /// <exception cref="Definition.DefinitionException">The definition is invalid (the message names the JSON path).</exception>
    /// <exception cref="StateDirectoryException">The state directory cannot be used.</exception>
    /// <exception cref="TransportException">An endpoint cannot be opened (port in use, no such serial port).</exception>
    public static async Task<SimHost> StartAsync(SimHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILogger storeLogger = options.LoggerFactory.CreateLogger<SimDevice>();
        ConfigStore store = options.StateDirectory is null ? ConfigStore.InMemory(storeLogger) : ConfigStore.Open(options.StateDirectory, storeLogger);
        SimDevice device;
        try
        {
            device = SimDevice.Create(options.Device, options.ModuleTypes, store, options.TimeProvider, options.LoggerFactory, options.GpioDriverFactory);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        var host = new SimHost(options, device, new FaultController(options.Faults ?? options.Device.Faults, options.TimeProvider));
        try
        {
            await host.StartEndpointsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>Serves a new in-memory link and returns its other end, for a client in the same process.</summary>
    /// <param name="name">The link's name on the device side (the client end is named "<paramref name="name"/> client").</param>
    /// <returns>The client's end; dispose it (or the connection on it) to hang up. RESET closes it, as it closes TCP links.</returns>
    public ITransport ConnectInMemory(string name = "memory")
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        (InMemoryTransport client, InMemoryTransport device) = InMemoryTransport.CreatePair($"{name} client", name);
        Serve(device, closesOnReboot: true);
        return client;
    }

    /// <summary>
    /// Reboots the device as RESET does: a new boot id, uptime from zero, live registers back to their power-on state,
    /// every subscription dropped, TCP and in-memory links closed (serial and pty links stay open with a fresh session);
    /// the configuration is kept.
    /// </summary>
    /// <returns>A task that completes when the links are closed.</returns>
    public async Task RebootAsync()
    {
        await _rebootGate.WaitAsync().ConfigureAwait(false);
        try
        {
            Device.Boot();
            var closing = new List<Task>();
            foreach (DeviceSession session in _sessions.Keys)
            {
                session.ResetForReboot(); // subscriptions die with the reboot, at once, on every link
                if (session.ClosesOnReboot)
                {
                    closing.Add(session.Connection.CloseAsync().AsTask());
                }
            }

            await Task.WhenAll(closing).ConfigureAwait(false);
        }
        finally
        {
            _rebootGate.Release();
        }
    }

    /// <summary>Drops every link now, as a cable pull would (serial and pty links are then served again with a fresh session).</summary>
    public void DisconnectAll()
    {
        foreach ((DeviceSession _, FaultyTransport transport) in _sessions)
        {
            Faults.Counters.Disconnected();
            transport.Disconnect();
        }
    }

    /// <summary>Stops serving: closes the listeners and every link, removes the pty link, releases the state directory.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (TcpTransportListener listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
        await Task.WhenAll(_sessions.Keys.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        await Task.WhenAll(_background.Keys).ConfigureAwait(false);
        foreach (Pty.PseudoTerminal pty in _ptys)
        {
            pty.Dispose();
        }

        Device.Dispose();
        _rebootGate.Dispose();
        _stop.Dispose();
    }

    private static string Format(IPEndPoint endPoint) => endPoint.ToString(); // 127.0.0.1:5020, [::1]:5020

    private int _tcpLinks;
    private long _tcpLinksRefused;

    /// <summary>Serves a link; <paramref name="onClosed"/> runs once when it ends (attached before anything else can fail).</summary>
    private DeviceSession Serve(ITransport inner, bool closesOnReboot, Action? onClosed = null)
    {
        int link = Interlocked.Increment(ref _linkNumbers);
        var faulty = new FaultyTransport(inner, Faults, link, Device.MaxPayload, _options.TimeProvider);
        var connection = new FrameConnection(faulty, null, new FrameConnectionOptions
        {
            Name = inner.Name,
            MaxPayloadLength = Device.MaxPayload,
            TimeProvider = _options.TimeProvider,
            LoggerFactory = _options.LoggerFactory,
            HandlerConcurrency = _options.HandlerConcurrency,
            InboundRequestQueueCapacity = _options.InboundRequestQueueCapacity,
        });
        var session = new DeviceSession(_sessionSettings, connection, link, closesOnReboot);
        _sessions[session] = faulty;
        var info = new SimLinkInfo(link, inner.Name);
        _ = session.Completion.ContinueWith(
            closed =>
            {
                _sessions.TryRemove(session, out _);
                onClosed?.Invoke();
                HostLog.LinkClosed(_logger, session.Name, closed.Result.Reason, closed.Result.Message);
                RaiseLinkEvent(LinkClosed, info);
                RunInBackground(() => session.DisposeAsync().AsTask());
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        // Reported before the session serves its first request, so that a handler sees the link before its traffic.
        HostLog.LinkOpened(_logger, inner.Name, link);
        RaiseLinkEvent(LinkOpened, info);
        session.Start();
        return session;
    }

    /// <summary>A handler of <see cref="LinkOpened"/> or <see cref="LinkClosed"/> that throws is logged; the host goes on.</summary>
    private void RaiseLinkEvent(Action<SimLinkInfo>? handlers, SimLinkInfo info)
    {
        try
        {
            handlers?.Invoke(info);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HostLog.BackgroundFailed(_logger, ex);
        }
    }

    private async Task StartEndpointsAsync(CancellationToken cancellationToken)
    {
        foreach (SimEndpoint endpoint in _options.Endpoints)
        {
            switch (endpoint)
            {
                case TcpSimEndpoint tcp:
                    var listener = new TcpTransportListener(tcp.EndPoint, logger: _options.LoggerFactory.CreateLogger<TcpTransportListener>());
                    _listeners.Add(listener);
                    _endpoints.Add(new SimEndpointInfo("tcp", Format(listener.LocalEndPoint)) { TcpEndPoint = listener.LocalEndPoint });
                    _loops.Add(AcceptLoopAsync(listener));
                    break;
                case PtySimEndpoint ptyEndpoint:
                    Pty.PseudoTerminal pty = Pty.PseudoTerminal.Open(ptyEndpoint.LinkPath);
                    _ptys.Add(pty);
                    _endpoints.Add(new SimEndpointInfo("pty", pty.SlavePath) { LinkPath = pty.LinkPath });
                    _loops.Add(LineLoopAsync(
                        $"pty {pty.SlavePath}",
                        _ => new ValueTask<ITransport>(new Pty.TtyTransport($"pty {pty.SlavePath}", pty.MasterFd, PtyStallTimeout, PtyWriteTimeout)),
                        first: null));
                    break;
                case SerialSimEndpoint serial:
                    var connector = new Serial.SerialTransportConnector(serial.Options, _options.LoggerFactory.CreateLogger<Serial.SerialTransportConnector>());
                    ITransport port = await connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
                    _endpoints.Add(new SimEndpointInfo("serial", serial.Options.PortName) { BaudRate = serial.Options.BaudRate });
                    _loops.Add(LineLoopAsync(connector.Name, connector.ConnectAsync, port));
                    break;
                default:
                    throw new ArgumentException($"Unknown endpoint type {endpoint.GetType().Name}.", nameof(cancellationToken));
            }

            HostLog.Listening(_logger, _endpoints[^1].ReadyLine);
        }
    }

    private async Task AcceptLoopAsync(TcpTransportListener listener)
    {
        await Task.Yield();
        while (true)
        {
            ITransport transport;
            try
            {
                transport = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (TransportException ex)
            {
                HostLog.AcceptFailed(_logger, listener.Name, ex);
                return;
            }

            if (Interlocked.Increment(ref _tcpLinks) > _options.MaxTcpLinks)
            {
                Interlocked.Decrement(ref _tcpLinks);
                long refused = Interlocked.Increment(ref _tcpLinksRefused);
                if (refused == 1 || refused % 1000 == 0)
                {
                    HostLog.LinkRefused(_logger, transport.Name, _options.MaxTcpLinks, refused);
                }

                // Closed here, before the next accept: refused connections then hold no descriptors while more arrive
                // (the rest wait in the kernel's backlog).
                try
                {
                    await transport.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    HostLog.BackgroundFailed(_logger, ex);
                }

                continue;
            }

            int released = 0;
            void Release()
            {
                if (Interlocked.Exchange(ref released, 1) == 0)
                {
                    Interlocked.Decrement(ref _tcpLinks); // once, whether the link ends or never starts
                }
            }

            try
            {
                Serve(transport, closesOnReboot: true, onClosed: Release);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The link could not be started: give the slot back, close it, and go on accepting.
                Release();
                HostLog.BackgroundFailed(_logger, ex);
                await transport.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Serves a line (serial port, pty) session after session: when a session ends (disconnect fault, write timeout,
    /// unplug) the line is served again with a fresh session; a port that cannot be reopened is retried every second.
    /// Bytes already on the line are kept: the new session's receiver hunts for the next frame (PROTOCOL.md §1.1).
    /// </summary>
    private async Task LineLoopAsync(string name, Func<CancellationToken, ValueTask<ITransport>> open, ITransport? first)
    {
        await Task.Yield();
        ITransport? next = first;
        while (!_stop.IsCancellationRequested)
        {
            ITransport inner;
            if (next is not null)
            {
                inner = next;
                next = null;
            }
            else
            {
                try
                {
                    inner = await open(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (TransportException ex)
                {
                    HostLog.ReopenFailed(_logger, name, ex.Message);
                    try
                    {
                        await Task.Delay(ReopenDelay, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    continue;
                }
            }

            DeviceSession session = Serve(inner, closesOnReboot: false);
            try
            {
                await session.Completion.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private Task RunInBackground(Func<Task> work)
    {
        Task task = Task.Run(async () =>
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                HostLog.BackgroundFailed(_logger, ex);
            }
        });
        _background[task] = 0;
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }
}
