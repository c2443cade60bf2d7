using System.Device.Gpio;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Gpio;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>gpio</c> type: pins driven through System.Device.Gpio's <see cref="GpioController"/>.</summary>
public sealed class GpioModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0006;

    /// <inheritdoc />
    public string Name => "gpio";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new GpioModule(context);
}

/// <summary>
/// GPIO pins: register i is the i-th pin of the <c>pins</c> list — an input (read-only) or an output (read-write,
/// 0 or 1). With <c>"driver": "system"</c> (the default) the pins are real (a Raspberry Pi's, through the board's
/// driver, or the host's <see cref="SimModuleContext.GpioDriverFactory"/>); with <c>"simulated"</c> they are a
/// <see cref="SimulatedGpioDriver"/>.
/// </summary>
internal sealed class GpioModule : SimModule
{
    private readonly GpioController _controller;
    private readonly GpioDriver? _driver;
    private readonly PinEntry[] _pins;

    public GpioModule(SimModuleContext context)
        : base(context, GpioModuleType.TypeCode)
    {
        DefinitionObject settings = context.Settings;
        string driver = settings.GetChoice("driver", "system", "system", "simulated");
        IReadOnlyList<DefinitionObject> pins = settings.GetOptionalObjectArray("pins", 1, 64)
            ?? throw settings.Error("pins", "is required (an array of 1 to 64 pins)");
        var entries = new List<PinEntry>(pins.Count);
        var seen = new Dictionary<int, string>();
        foreach (DefinitionObject pin in pins)
        {
            int number = (int)pin.GetInteger("pin", 0, 1023);
            if (seen.TryGetValue(number, out string? other))
            {
                throw pin.Error("pin", $"pin {number} is already used by {other}");
            }

            seen[number] = pin.Path;
            string mode = pin.GetChoice("mode", "input", "input", "input-pullup", "input-pulldown", "output");
            string name = pin.GetOptionalString("name") ?? $"gpio{number}";
            int initial = (int)pin.GetInteger("initial", 0, 0, 1);
            if (mode != "output" && pin.Has("initial"))
            {
                throw pin.Error("initial", "is only allowed on output pins");
            }

            pin.EnsureNoUnknownProperties();
            PinMode pinMode = mode switch
            {
                "output" => PinMode.Output,
                "input-pullup" => PinMode.InputPullUp,
                "input-pulldown" => PinMode.InputPullDown,
                _ => PinMode.Input,
            };
            entries.Add(new PinEntry(number, pinMode, initial, pin.Path));
            AddRegister((ushort)(entries.Count - 1), name, pinMode == PinMode.Output ? RegisterAccess.Read | RegisterAccess.Write : RegisterAccess.Read);
        }

        _pins = [.. entries];
        try
        {
            _driver = driver == "simulated" ? new SimulatedGpioDriver(1024) : context.GpioDriverFactory?.Invoke();
            _controller = _driver is null ? new GpioController() : new GpioController(_driver);
        }
        catch (Exception ex) when (IsGpioFailure(ex))
        {
            throw new DefinitionException($"cannot open the board's GPIO controller: {ex.Message} (use \"driver\": \"simulated\" on a machine without GPIO)", settings.PathOf("driver"), null, ex);
        }

        foreach (PinEntry pin in _pins)
        {
            try
            {
                _controller.OpenPin(pin.Number, pin.Mode);
            }
            catch (Exception ex) when (IsGpioFailure(ex))
            {
                _controller.Dispose();
                throw new DefinitionException($"cannot open GPIO pin {pin.Number} as {pin.Mode}: {ex.Message}", pin.Path + ".pin", null, ex);
            }
        }
    }

    protected override int ReadRegister(ushort address) => _controller.Read(_pins[address].Number) == PinValue.High ? 1 : 0;

    protected override string? ValidateWrite(ushort address, int value) =>
        value is 0 or 1 ? null : $"a GPIO output is 0 (low) or 1 (high); got {value}";

    protected override void WriteRegister(ushort address, int value) =>
        _controller.Write(_pins[address].Number, value == 0 ? PinValue.Low : PinValue.High);

    protected override void SetRegister(ushort address, int value)
    {
        PinEntry pin = _pins[address];
        if (pin.Mode == PinMode.Output)
        {
            WriteRegister(address, value);
        }
        else if (_driver is SimulatedGpioDriver simulated)
        {
            simulated.SetInput(pin.Number, value == 0 ? PinValue.Low : PinValue.High);
        }
        else
        {
            throw new NotSupportedException($"GPIO pin {pin.Number} is a real input; its level comes from the hardware.");
        }
    }

    protected override void OnBoot()
    {
        foreach (PinEntry pin in _pins)
        {
            if (pin.Mode == PinMode.Output)
            {
                _controller.Write(pin.Number, pin.Initial == 0 ? PinValue.Low : PinValue.High);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _controller.Dispose(); // closes the pins and disposes the driver
        }

        base.Dispose(disposing);
    }

    private static bool IsGpioFailure(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException
            or NotSupportedException or ArgumentException or DllNotFoundException or EntryPointNotFoundException;

    private sealed record PinEntry(int Number, PinMode Mode, int Initial, string Path);
}
