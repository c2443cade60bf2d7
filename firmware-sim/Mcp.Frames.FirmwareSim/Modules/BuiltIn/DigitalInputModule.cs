using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>digital-input</c> type: N inputs, some of which may toggle on a schedule.</summary>
public sealed class DigitalInputModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0002;

    /// <summary>The register holding all inputs as a bit mask (bit i = input i).</summary>
    public const ushort MaskRegister = 0x80;

    /// <summary>The configuration register whose set bits invert the matching inputs.</summary>
    public const ushort InvertMaskRegister = 0x100;

    /// <inheritdoc />
    public string Name => "digital-input";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new DigitalInputModule(context);
}

/// <summary>
/// Digital inputs: registers 0…N−1 are the inputs (0 or 1), 0x80 all of them as a mask, 0x100 the invert mask
/// (configuration). An input with a toggle entry flips every <c>periodMs</c>; setting an input from an embedding test
/// sets its level now, and a toggling input goes on flipping from there.
/// </summary>
internal sealed class DigitalInputModule : SimModule
{
    private readonly int _inputs;
    private readonly Toggle?[] _toggles;
    private readonly int[] _levels;
    private readonly TimeSpan[] _anchors;

    public DigitalInputModule(SimModuleContext context)
        : base(context, DigitalInputModuleType.TypeCode)
    {
        DefinitionObject settings = context.Settings;
        _inputs = (int)settings.GetInteger("inputs", 4, 1, 32);
        _toggles = new Toggle?[_inputs];
        _levels = new int[_inputs];
        _anchors = new TimeSpan[_inputs];
        foreach (DefinitionObject toggle in settings.GetOptionalObjectArray("toggle", 0, 32) ?? [])
        {
            int input = (int)toggle.GetInteger("input", 0, _inputs - 1);
            if (_toggles[input] is not null)
            {
                throw toggle.Error("input", $"input {input} already has a toggle");
            }

            TimeSpan period = TimeSpan.FromMilliseconds(toggle.GetInteger("periodMs", 1, int.MaxValue));
            TimeSpan phase = toggle.GetMilliseconds("phaseMs", TimeSpan.Zero);
            toggle.EnsureNoUnknownProperties();
            _toggles[input] = new Toggle(period, phase);
        }

        for (int i = 0; i < _inputs; i++)
        {
            AddRegister((ushort)i, $"input{i}", RegisterAccess.Read);
        }

        AddRegister(DigitalInputModuleType.MaskRegister, "mask", RegisterAccess.Read);
        AddConfigRegister(DigitalInputModuleType.InvertMaskRegister, "invertMask", 0);
    }

    protected override int ReadRegister(ushort address)
    {
        TimeSpan now = Uptime;
        int invert = GetConfig(DigitalInputModuleType.InvertMaskRegister);
        if (address == DigitalInputModuleType.MaskRegister)
        {
            int mask = 0;
            for (int i = 0; i < _inputs; i++)
            {
                mask |= Level(i, now) << i;
            }

            return mask ^ (invert & (int)AllMask);
        }

        return Level(address, now) ^ ((invert >> address) & 1);
    }

    protected override void SetRegister(ushort address, int value)
    {
        if (address == DigitalInputModuleType.MaskRegister)
        {
            for (int i = 0; i < _inputs; i++)
            {
                SetLevel(i, (value >> i) & 1);
            }

            return;
        }

        if (value is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A digital input is 0 or 1.");
        }

        SetLevel(address, value);
    }

    protected override string? ValidateConfig(ushort address, int value) =>
        ((uint)value & ~AllMask) == 0 ? null : $"invertMask 0x{value:X} has bits beyond the {_inputs} inputs";

    protected override void OnBoot()
    {
        Array.Clear(_levels);
        Array.Clear(_anchors);
    }

    private uint AllMask => _inputs == 32 ? uint.MaxValue : (1u << _inputs) - 1;

    private int Level(int input, TimeSpan now)
    {
        if (_toggles[input] is not { } toggle)
        {
            return _levels[input];
        }

        // Flips at anchor + phase + k·period (k ≥ 1); the level set at the anchor holds until the first flip.
        TimeSpan since = now - _anchors[input];
        long flips = since < toggle.Phase ? 0 : (since - toggle.Phase).Ticks / toggle.Period.Ticks;
        return _levels[input] ^ (int)(flips & 1);
    }

    private void SetLevel(int input, int level)
    {
        _levels[input] = level;
        _anchors[input] = Uptime;
    }

    private sealed record Toggle(TimeSpan Period, TimeSpan Phase);
}
