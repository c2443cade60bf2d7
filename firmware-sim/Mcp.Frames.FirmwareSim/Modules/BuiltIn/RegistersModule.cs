using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>registers</c> type: a generic module whose registers are listed in the definition file.</summary>
public sealed class RegistersModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0010;

    /// <inheritdoc />
    public string Name => "registers";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new RegistersModule(context);
}

/// <summary>A generic module: registers with fixed values, written values, configuration values or behaviours.</summary>
internal sealed class RegistersModule : SimModule
{
    private readonly Dictionary<ushort, Cell> _cells = [];

    public RegistersModule(SimModuleContext context)
        : base(context, RegistersModuleType.TypeCode)
    {
        DefinitionObject settings = context.Settings;
        IReadOnlyList<DefinitionObject> registers = settings.GetOptionalObjectArray("registers", 1, 255)
            ?? throw settings.Error("registers", "is required (an array of 1 to 255 registers)");
        var seen = new Dictionary<ushort, string>();
        foreach (DefinitionObject entry in registers)
        {
            ushort address = (ushort)entry.GetInteger("address", 0, ushort.MaxValue);
            if (seen.TryGetValue(address, out string? other))
            {
                throw entry.Error("address", $"address {address} is already used by {other}");
            }

            seen[address] = entry.Path;
            string name = entry.GetString("name");
            string access = entry.GetChoice("access", "", "r", "w", "rw", "config");
            if (access.Length == 0)
            {
                throw entry.Error("access", "is required (one of r, w, rw, config)");
            }

            int value = entry.GetInt32("value", 0);
            RegisterBehavior? behavior = null;
            if (entry.GetOptionalObject("behavior") is { } b)
            {
                if (access is "w" or "config")
                {
                    throw entry.Error("behavior", $"is only allowed on r and rw registers; this register's access is {access}");
                }

                behavior = RegisterBehavior.Read(b, value, SimNoise.Derive(Seed, address));
            }

            entry.EnsureNoUnknownProperties();
            if (access == "config")
            {
                AddConfigRegister(address, name, value);
                continue;
            }

            AddRegister(address, name, access switch
            {
                "r" => RegisterAccess.Read,
                "w" => RegisterAccess.Write,
                _ => RegisterAccess.Read | RegisterAccess.Write,
            });
            _cells[address] = new Cell(value, behavior);
        }
    }

    protected override int ReadRegister(ushort address)
    {
        Cell cell = _cells[address];
        return cell.Behavior?.Read(Uptime) ?? cell.Value;
    }

    protected override void WriteRegister(ushort address, int value) => SetRegister(address, value);

    protected override void SetRegister(ushort address, int value)
    {
        Cell cell = _cells[address];
        if (cell.Behavior is { } behavior)
        {
            behavior.Set(value, Uptime);
        }
        else
        {
            cell.Value = value;
        }
    }

    protected override void OnBoot()
    {
        foreach (Cell cell in _cells.Values)
        {
            cell.Value = cell.Initial;
            cell.Behavior?.Boot();
        }
    }

    private sealed class Cell(int initial, RegisterBehavior? behavior)
    {
        public int Initial { get; } = initial;

        public RegisterBehavior? Behavior { get; } = behavior;

        public int Value { get; set; } = initial;
    }
}
