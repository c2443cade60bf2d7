using System.Device.Gpio;

namespace Mcp.Frames.FirmwareSim.Gpio;

/// <summary>
/// A GPIO driver with no hardware behind it, for the built-in device, for rigs without pins and for tests: outputs
/// keep what was written, inputs read what <see cref="SetInput"/> applied (or their pull resistor's level), and
/// value-change callbacks and <c>WaitForEvent</c> fire on edges, as on a real board.
/// </summary>
public sealed class SimulatedGpioDriver : GpioDriver
{
    private readonly Lock _lock = new();
    private readonly int _pinCount;
    private readonly Dictionary<int, Pin> _pins = [];

    /// <summary>Creates the driver.</summary>
    /// <param name="pinCount">How many pins the simulated board has (pin numbers 0 to pinCount−1).</param>
    public SimulatedGpioDriver(int pinCount = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pinCount, 1);
        _pinCount = pinCount;
    }

    /// <summary>Raised after an output pin was written (pin, value), on the writer's thread.</summary>
    public event Action<int, PinValue>? OutputWritten;

    /// <inheritdoc />
    protected override int PinCount => _pinCount;

    /// <summary>Applies an external level to a pin (a button, a sensor line). Fires callbacks on an edge.</summary>
    /// <param name="pinNumber">The pin.</param>
    /// <param name="value">The level.</param>
    public void SetInput(int pinNumber, PinValue value) => Drive(pinNumber, value, external: true);

    /// <summary>The level a pin is at now: what was written to an output, or an input's external or pull level.</summary>
    /// <param name="pinNumber">The pin.</param>
    /// <returns>The level.</returns>
    public PinValue GetLevel(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_lock)
        {
            return Level(GetOrAdd(pinNumber));
        }
    }

    /// <summary>The mode a pin was last set to, or <see langword="null"/> if it was never opened.</summary>
    /// <param name="pinNumber">The pin.</param>
    /// <returns>The mode.</returns>
    public PinMode? GetConfiguredMode(int pinNumber)
    {
        lock (_lock)
        {
            return _pins.TryGetValue(pinNumber, out Pin? pin) && pin.IsOpen ? pin.Mode : null;
        }
    }

    /// <inheritdoc />
    protected override void OpenPin(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_lock)
        {
            GetOrAdd(pinNumber).IsOpen = true;
        }
    }

    /// <inheritdoc />
    protected override void ClosePin(int pinNumber)
    {
        lock (_lock)
        {
            if (_pins.TryGetValue(pinNumber, out Pin? pin))
            {
                pin.IsOpen = false;
                pin.Handlers.Clear();
            }
        }
    }

    /// <inheritdoc />
    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        CheckPin(pinNumber);
        lock (_lock)
        {
            GetOrAdd(pinNumber).Mode = mode;
        }
    }

    /// <inheritdoc />
    protected override PinMode GetPinMode(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_lock)
        {
            return GetOrAdd(pinNumber).Mode;
        }
    }

    /// <inheritdoc />
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) =>
        mode is PinMode.Input or PinMode.Output or PinMode.InputPullUp or PinMode.InputPullDown;

    /// <inheritdoc />
    protected override PinValue Read(int pinNumber)
    {
        CheckPin(pinNumber);
        lock (_lock)
        {
            return Level(GetOrAdd(pinNumber));
        }
    }

    /// <inheritdoc />
    protected override void Write(int pinNumber, PinValue value) => Drive(pinNumber, value, external: false);

    /// <summary>Sets a pin's external level or its output latch, then reports the write and any edge (outside the lock).</summary>
    private void Drive(int pinNumber, PinValue value, bool external)
    {
        CheckPin(pinNumber);
        PinValue before;
        PinValue after;
        PinChangeEventHandler[] handlers;
        lock (_lock)
        {
            Pin pin = GetOrAdd(pinNumber);
            before = Level(pin);
            if (external)
            {
                pin.External = value;
            }
            else
            {
                pin.Output = value;
            }

            after = Level(pin);
            handlers = Matching(pin, before, after);
        }

        if (!external)
        {
            OutputWritten?.Invoke(pinNumber, value);
        }

        Raise(pinNumber, before, after, handlers);
    }

    /// <inheritdoc />
    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        var fired = new TaskCompletionSource<PinEventTypes>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(object sender, PinValueChangedEventArgs e) => fired.TrySetResult(e.ChangeType);
        AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, OnChange);
        try
        {
            fired.Task.Wait(cancellationToken);
            return new WaitForEventResult { EventTypes = fired.Task.Result, TimedOut = false };
        }
        catch (OperationCanceledException)
        {
            return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
        }
        finally
        {
            RemoveCallbackForPinValueChangedEvent(pinNumber, OnChange);
        }
    }

    /// <inheritdoc />
    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        CheckPin(pinNumber);
        lock (_lock)
        {
            GetOrAdd(pinNumber).Handlers.Add((eventTypes, callback));
        }
    }

    /// <inheritdoc />
    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock)
        {
            if (_pins.TryGetValue(pinNumber, out Pin? pin))
            {
                pin.Handlers.RemoveAll(h => h.Callback == callback);
            }
        }
    }

    private static PinValue Level(Pin pin) => pin.Mode switch
    {
        PinMode.Output => pin.Output,
        PinMode.InputPullUp => pin.External ?? PinValue.High,
        _ => pin.External ?? PinValue.Low,
    };

    private static PinChangeEventHandler[] Matching(Pin pin, PinValue before, PinValue after)
    {
        if (before == after)
        {
            return [];
        }

        PinEventTypes edge = after == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
        return [.. pin.Handlers.Where(h => (h.Events & edge) != 0).Select(h => h.Callback)];
    }

    private void Raise(int pinNumber, PinValue before, PinValue after, PinChangeEventHandler[] handlers)
    {
        if (before == after)
        {
            return;
        }

        var args = new PinValueChangedEventArgs(after == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling, pinNumber);
        foreach (PinChangeEventHandler handler in handlers)
        {
            handler(this, args);
        }
    }

    private Pin GetOrAdd(int pinNumber)
    {
        if (!_pins.TryGetValue(pinNumber, out Pin? pin))
        {
            pin = new Pin();
            _pins[pinNumber] = pin;
        }

        return pin;
    }

    private void CheckPin(int pinNumber)
    {
        if (pinNumber < 0 || pinNumber >= _pinCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pinNumber), pinNumber, $"The simulated board has pins 0 to {_pinCount - 1}.");
        }
    }

    private sealed class Pin
    {
        public bool IsOpen { get; set; }

        public PinMode Mode { get; set; } = PinMode.Input;

        public PinValue Output { get; set; } = PinValue.Low;

        public PinValue? External { get; set; }

        public List<(PinEventTypes Events, PinChangeEventHandler Callback)> Handlers { get; } = [];
    }
}
