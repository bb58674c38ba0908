using System.Globalization;
using System.Text;
using HeteroBpf.Asm;
using HeteroBpf.Isa;

namespace HeteroBpf.Verifier;

/// <summary>The verifier log in the kernel's style: <c>N: (op) text ; R0_w=…</c> lines, branch states, the error, statistics.</summary>
internal sealed class VerifierLog(int level)
{
    private readonly StringBuilder _text = new();

    public int Level { get; } = level;

    public string Text => _text.ToString();

    /// <summary>An error line: always logged, whatever the level (the kernel prints errors at level 1 and up; the exception carries it at 0 too).</summary>
    public void Error(string message) => _text.Append(message).Append('\n');

    public void Line(string text)
    {
        if (Level > 0) _text.Append(text).Append('\n');
    }

    /// <summary>One instruction as the kernel prints it, with the registers it leaves at level 2.</summary>
    public void Instruction(ReadOnlySpan<Instruction> program, int slot, RegisterState[]? regs)
    {
        if (Level < 2) return;
        var insn = program[slot];
        _text.Append(slot.ToString(CultureInfo.InvariantCulture)).Append(": (").Append(insn.OpCode.ToString("x2", CultureInfo.InvariantCulture)).Append(") ");
        _text.Append(Disassembler.Format(program, slot));
        if (regs is not null)
        {
            _text.Append(" ;");
            AppendRegs(_text, regs);
        }

        _text.Append('\n');
    }

    public void State(int slot, RegisterState[] regs)
    {
        if (Level < 1) return;
        _text.Append(slot.ToString(CultureInfo.InvariantCulture)).Append(':');
        AppendRegs(_text, regs);
        _text.Append('\n');
    }

    private static void AppendRegs(StringBuilder sb, RegisterState[] regs)
    {
        for (int r = 0; r < regs.Length; r++)
        {
            if (regs[r].Type == RegisterType.NotInit) continue;
            sb.Append(" R").Append(r).Append('=').Append(Describe(regs[r]));
        }
    }

    /// <summary>A register as the kernel prints it: <c>42</c>, <c>scalar(umax=255)</c>, <c>map_value(map=0,off=4)</c>, <c>fp-8</c>.</summary>
    public static string Describe(in RegisterState reg)
    {
        if (reg.Type == RegisterType.Scalar) return reg.Value.ToString();
        if (reg.Type == RegisterType.PtrToStack && reg.Value.IsConst && reg.Value.VarOff.Value == 0) return "fp" + reg.Offset.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder(TypeName(reg));
        sb.Append('(');
        if (reg.Id != 0) sb.Append("id=").Append(reg.Id).Append(',');
        if (reg.RefId != 0) sb.Append("ref_obj_id=").Append(reg.RefId).Append(',');
        if (reg.MapIndex >= 0) sb.Append("map=").Append(reg.MapIndex).Append(',');
        if (reg.Offset != 0) sb.Append("off=").Append(reg.Offset).Append(',');
        if (reg.Type is RegisterType.PtrToPacket or RegisterType.PtrToPacketMeta) sb.Append("r=").Append(reg.Range).Append(',');
        if (reg.Type is RegisterType.PtrToMem or RegisterType.PtrToMemOrNull) sb.Append("sz=").Append(reg.Range).Append(',');
        if (!(reg.Value.IsConst && reg.Value.VarOff.Value == 0)) sb.Append("var_off=").Append(reg.Value.VarOff).Append(',');
        if (sb[^1] == ',') sb.Length--;
        if (sb[^1] == '(') sb.Length--;
        else sb.Append(')');
        return sb.ToString();
    }

    /// <summary>The kernel's <c>reg_type_str</c>.</summary>
    public static string TypeName(in RegisterState reg) => TypeName(reg.Type);

    /// <summary>The kernel's <c>reg_type_str</c> for a type.</summary>
    public static string TypeName(RegisterType type) => type switch
    {
        RegisterType.NotInit => "?",
        RegisterType.Scalar => "scalar",
        RegisterType.PtrToCtx => "ctx",
        RegisterType.ConstPtrToMap => "map_ptr",
        RegisterType.PtrToMapValue => "map_value",
        RegisterType.PtrToMapValueOrNull => "map_value_or_null",
        RegisterType.PtrToMapKey => "map_key",
        RegisterType.PtrToStack => "fp",
        RegisterType.PtrToPacketMeta => "pkt_meta",
        RegisterType.PtrToPacket => "pkt",
        RegisterType.PtrToPacketEnd => "pkt_end",
        RegisterType.PtrToMem => "ringbuf_mem",
        RegisterType.PtrToMemOrNull => "ringbuf_mem_or_null",
        RegisterType.PtrToFunc => "func",
        RegisterType.PtrToFlowKeys => "flow_keys",
        RegisterType.PtrToSockCommon => "sock_common",
        RegisterType.PtrToSockCommonOrNull => "sock_common_or_null",
        RegisterType.PtrToSocket => "sock",
        RegisterType.PtrToSocketOrNull => "sock_or_null",
        _ => type.ToString(),
    };
}
