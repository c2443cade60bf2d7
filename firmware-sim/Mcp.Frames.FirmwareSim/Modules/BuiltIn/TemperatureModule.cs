using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>temperature</c> type: a read-only sensor with a noise model.</summary>
public sealed class TemperatureModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0004;

    /// <summary>The temperature in centi-degrees Celsius.</summary>
    public const ushort TemperatureRegister = 0;

    /// <summary>1 while the temperature is at or above the alarm threshold, else 0.</summary>
    public const ushort AlarmRegister = 1;

    /// <summary>Configuration: calibration offset added to every reading, centi-degrees.</summary>
    public const ushort OffsetRegister = 0x100;

    /// <summary>Configuration: the alarm threshold, centi-degrees.</summary>
    public const ushort AlarmHighRegister = 0x101;

    /// <inheritdoc />
    public string Name => "temperature";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new TemperatureModule(context);
}

/// <summary>
/// A temperature sensor: base + slow sinusoidal drift + Gaussian noise (a new sample every <c>sampleMs</c>, seeded)
/// + the calibration offset. Setting register 0 from an embedding test sets the base temperature.
/// </summary>
internal sealed class TemperatureModule : SimModule
{
    private readonly int _initialBase;
    private readonly double _noise;
    private readonly TimeSpan _sample;
    private readonly int _driftAmplitude;
    private readonly TimeSpan _driftPeriod;
    private int _base;

    public TemperatureModule(SimModuleContext context)
        : base(context, TemperatureModuleType.TypeCode)
    {
        DefinitionObject settings = context.Settings;
        _initialBase = (int)settings.GetInteger("base", 2150, -27315, 1_000_000);
        _noise = settings.GetNumber("noise", 20, 0, 100_000);
        _sample = TimeSpan.FromMilliseconds(settings.GetInteger("sampleMs", 250, 1, int.MaxValue));
        _driftAmplitude = (int)settings.GetInteger("driftAmplitude", 0, 0, 1_000_000);
        _driftPeriod = TimeSpan.FromMilliseconds(settings.GetInteger("driftPeriodMs", 600_000, 1, int.MaxValue));
        _base = _initialBase;
        AddRegister(TemperatureModuleType.TemperatureRegister, "temperature", RegisterAccess.Read);
        AddRegister(TemperatureModuleType.AlarmRegister, "alarm", RegisterAccess.Read);
        AddConfigRegister(TemperatureModuleType.OffsetRegister, "offset", (int)settings.GetInteger("offset", 0, -10_000, 10_000));
        AddConfigRegister(TemperatureModuleType.AlarmHighRegister, "alarmHigh", (int)settings.GetInteger("alarmHigh", 8000, -27315, 1_000_000));
    }

    protected override int ReadRegister(ushort address)
    {
        int temperature = Temperature(Uptime);
        return address == TemperatureModuleType.TemperatureRegister
            ? temperature
            : temperature >= GetConfig(TemperatureModuleType.AlarmHighRegister) ? 1 : 0;
    }

    protected override void SetRegister(ushort address, int value)
    {
        if (address != TemperatureModuleType.TemperatureRegister)
        {
            throw new NotSupportedException("The alarm follows the temperature; set register 0 (the temperature) instead.");
        }

        _base = value;
    }

    protected override string? ValidateConfig(ushort address, int value) => address switch
    {
        TemperatureModuleType.OffsetRegister when value is < -10_000 or > 10_000 => $"offset must be from -10000 to 10000 centi-degrees; got {value}",
        TemperatureModuleType.AlarmHighRegister when value < -27315 => $"alarmHigh must be at least -27315 (absolute zero); got {value}",
        _ => null,
    };

    protected override void OnBoot() => _base = _initialBase;

    private int Temperature(TimeSpan uptime)
    {
        long sample = uptime.Ticks / _sample.Ticks;
        double noise = _noise == 0 ? 0 : _noise * SimNoise.Gaussian(Seed, sample);
        double drift = _driftAmplitude == 0 ? 0 : _driftAmplitude * Math.Sin(2 * Math.PI * (uptime.Ticks % _driftPeriod.Ticks) / _driftPeriod.Ticks);
        return (int)Math.Round(_base + drift + noise) + GetConfig(TemperatureModuleType.OffsetRegister);
    }
}
