using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>relay</c> type: N switchable outputs.</summary>
public sealed class RelayModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0001;

    /// <summary>The register holding all outputs as a bit mask (bit i = output i).</summary>
    public const ushort MaskRegister = 0x80;

    /// <summary>The configuration register with the outputs that are on after power-on and RESET.</summary>
    public const ushort PowerOnMaskRegister = 0x100;

    /// <inheritdoc />
    public string Name => "relay";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new RelayModule(context);
}

/// <summary>Relays: registers 0…N−1 are the outputs (0 off, 1 on), 0x80 all of them as a mask, 0x100 the power-on mask.</summary>
internal sealed class RelayModule : SimModule
{
    private readonly int _outputs;
    private uint _state;

    public RelayModule(SimModuleContext context)
        : base(context, RelayModuleType.TypeCode)
    {
        _outputs = (int)context.Settings.GetInteger("outputs", 4, 1, 32);
        long powerOn = context.Settings.GetInteger("powerOnMask", 0, 0, uint.MaxValue);
        if (((ulong)powerOn & ~(ulong)AllMask) != 0)
        {
            throw context.Settings.Error("powerOnMask", $"has bits beyond the {_outputs} outputs");
        }

        for (int i = 0; i < _outputs; i++)
        {
            AddRegister((ushort)i, $"relay{i}", RegisterAccess.Read | RegisterAccess.Write);
        }

        AddRegister(RelayModuleType.MaskRegister, "mask", RegisterAccess.Read | RegisterAccess.Write);
        AddConfigRegister(RelayModuleType.PowerOnMaskRegister, "powerOnMask", unchecked((int)(uint)powerOn));
    }

    private uint AllMask => _outputs == 32 ? uint.MaxValue : (1u << _outputs) - 1;

    protected override int ReadRegister(ushort address) =>
        address == RelayModuleType.MaskRegister ? (int)_state : (int)((_state >> address) & 1);

    protected override string? ValidateWrite(ushort address, int value)
    {
        if (address == RelayModuleType.MaskRegister)
        {
            return ((uint)value & ~AllMask) == 0 ? null : $"mask 0x{value:X} has bits beyond the {_outputs} outputs";
        }

        return value is 0 or 1 ? null : $"a relay output is 0 (off) or 1 (on); got {value}";
    }

    protected override void WriteRegister(ushort address, int value)
    {
        if (address == RelayModuleType.MaskRegister)
        {
            _state = (uint)value;
            return;
        }

        _state = value == 0 ? _state & ~(1u << address) : _state | (1u << address);
    }

    protected override string? ValidateConfig(ushort address, int value) =>
        ((uint)value & ~AllMask) == 0 ? null : $"powerOnMask 0x{value:X} has bits beyond the {_outputs} outputs";

    protected override void OnBoot() => _state = (uint)GetConfig(RelayModuleType.PowerOnMaskRegister);
}
