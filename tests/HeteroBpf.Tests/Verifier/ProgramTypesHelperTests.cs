using System.Text;
using System.Text.RegularExpressions;
using HeteroBpf.Helpers;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// Every helper id × every program type (and attach type) × both privilege levels, called with scalar-zero arguments
/// in the running kernel: the kernel refuses the call itself ("cannot use helper", "unknown func") exactly when
/// <see cref="ProgramTypes.IsHelperAllowed"/> says no, <see cref="ProgramTypeInfo.GetHelper"/> is null for every refused
/// helper, and for a known prototype the kernel's first complaint about the zero arguments names the register and
/// kind of argument the prototype predicts (or the kernel accepts when every argument takes a zero), and under a
/// non-GPL licence the kernel refuses exactly the helpers whose prototype is <see cref="HelperPrototype.GplOnly"/>.
/// </summary>
public sealed partial class ProgramTypesHelperTests(ITestOutputHelper output)
{
    private const int HighestHelper = 211;

    [Theory]
    [MemberData(nameof(ProgramTypesOracle.CasesAndPrivileges), MemberType = typeof(ProgramTypesOracle))]
    public void HelpersMatchKernel(string name, Privilege privilege)
    {
        var c = ProgramTypesOracle.Case(name);
        var info = ProgramTypes.Get(c.Type, c.Attach);
        int exit = ProgramTypesOracle.GoodReturn(info);
        ProgramTypesOracle.SkipUnlessLoadable(c, privilege, exit);

        var mismatches = new List<string>();
        int allowed = 0, prototypes = 0;
        ProgramTypesOracle.RunAt(privilege, () =>
        {
            for (int id = 1; id <= HighestHelper; id++)
            {
                ulong[] program =
                [
                    ProgramTypesOracle.MovImm(1, 0), ProgramTypesOracle.MovImm(2, 0), ProgramTypesOracle.MovImm(3, 0), ProgramTypesOracle.MovImm(4, 0),
                    ProgramTypesOracle.MovImm(5, 0), ProgramTypesOracle.Call(id), ProgramTypesOracle.MovImm(0, exit), ProgramTypesOracle.Exit(),
                ];
                var kernel = ProgramTypesOracle.LoadHere(c, program);
                bool kernelAllows = kernel.Accepted || !ProgramTypesOracle.HelperRefused(kernel.Message);
                var helper = (HelperId)id;
                bool ours = ProgramTypes.IsHelperAllowed(c.Type, c.Attach, helper, privilege);
                var prototype = info.GetHelper(helper, privilege);
                if (kernelAllows) allowed++;
                if (kernelAllows != ours)
                {
                    mismatches.Add($"  {helper} ({id}): kernel {(kernelAllows ? "allows" : "refuses")} ({(kernel.Accepted ? "accepted" : kernel.Message)}), ours {(ours ? "allows" : "refuses")}");
                    continue;
                }

                if (prototype is null) continue;
                prototypes++;
                string? problem = CheckArguments(prototype, kernel);
                if (problem is not null) mismatches.Add($"  {helper} ({id}): {problem}");
                // gpl_only: a program under a non-GPL licence may not call it.
                var nonGpl = ProgramTypesOracle.LoadHere(c, program, gpl: false);
                bool kernelGpl = nonGpl.Message.Contains("GPL-restricted", StringComparison.Ordinal);
                if (kernelGpl != prototype.GplOnly) mismatches.Add($"  {helper} ({id}): the kernel's gpl_only is {kernelGpl}, ours {prototype.GplOnly}");
            }

            return 0;
        });

        output.WriteLine($"{name} at {privilege}: {HighestHelper} helper ids compared, {allowed} allowed by the kernel, {prototypes} with a known prototype checked, {mismatches.Count} mismatches");
        if (mismatches.Count > 0)
        {
            var text = new StringBuilder($"{name} at {privilege}: {mismatches.Count} helpers differ from the kernel:\n");
            foreach (string m in mismatches.Take(80)) text.AppendLine(m);
            Assert.Fail(text.ToString());
        }
    }

    /// <summary>
    /// With every argument a scalar zero, the first argument that takes no zero is the one the kernel complains about:
    /// null when the kernel's verdict fits <paramref name="prototype"/>, else what differs.
    /// </summary>
    private static string? CheckArguments(HelperPrototype prototype, ProgramTypesOracle.Verdict kernel)
    {
        int expected = -1;
        var args = prototype.Args;
        for (int i = 0; i < args.Length && args[i].Type != HelperArgType.DontCare; i++)
        {
            if (!TakesZero(args[i]))
            {
                expected = i;
                break;
            }
        }

        if (kernel.Accepted) return expected < 0 ? null : $"the kernel accepts zero arguments, ours expects R{expected + 1} ({args[expected]}) to be refused";
        var match = ArgumentComplaint().Match(kernel.Message);
        if (!match.Success) return expected < 0 ? $"ours takes zero arguments, the kernel refuses: {kernel.Message}" : null;
        int register = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (expected < 0 || register != expected + 1) return $"the kernel complains about R{register} ({kernel.Message}), ours about {(expected < 0 ? "none" : $"R{expected + 1} ({args[expected]})")}";
        string kind = match.Groups[2].Value;
        if (kind.Length > 0 && !KindFits(args[expected].Type, kind)) return $"R{register}: the kernel expects {kind}, ours {args[expected]}";
        return null;
    }

    /// <summary>Theory data: every case, at root.</summary>
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in ProgramTypesOracle.Cases) data.Add(c.Name);
        return data;
    }

    /// <summary>
    /// The return type: every allowed helper with a known prototype whose arguments can be made valid without maps or
    /// sockets (context, any value, 64 zeroed stack bytes and a size of 8) is called, and the state the kernel's level-2
    /// log gives R0 after the call must be the prototype's return (scalar, nothing for void, sock_or_null, …).
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ReturnTypesMatchKernel(string name)
    {
        var c = ProgramTypesOracle.Case(name);
        var info = ProgramTypes.Get(c.Type, c.Attach);
        int exit = ProgramTypesOracle.GoodReturn(info);
        ProgramTypesOracle.SkipUnlessLoadable(c, Privilege.Root, exit);
        var mismatches = new List<string>();
        int compared = 0, pointers = 0;
        for (int id = 1; id <= HighestHelper; id++)
        {
            var prototype = info.GetHelper((HelperId)id, Privilege.Root);
            if (prototype is null || !TryArguments(prototype, out var setup)) continue;
            ulong[] program =
            [
                ProgramTypesOracle.Insn(0xbf, 6, 1), // r6 = ctx
                .. Enumerable.Range(1, 8).Select(i => ProgramTypesOracle.Insn(0x7a, 10, 0, (short)(-8 * i), 0)), // *(u64 *)(r10 - 8i) = 0
                .. setup,
                ProgramTypesOracle.Call(id),
                ProgramTypesOracle.MovImm(0, exit),
                ProgramTypesOracle.Exit(),
            ];
            var kernel = ProgramTypesOracle.LoadHere(c, program, logLevel: 2);
            // The state after the call is printed on the call's line after ';', or on a line of its own after it.
            string[] lines = kernel.Log.Split('\n');
            int at = Array.FindIndex(lines, l => CallInsn().IsMatch(l));
            if (at < 0) continue;
            string? after = lines[at].Contains(';', StringComparison.Ordinal) ? lines[at][(lines[at].IndexOf(';', StringComparison.Ordinal) + 1)..] : null;
            // Precision-tracking lines (mark_precise: …) may come between the call and its state line.
            for (int next = at + 1; after is null && next < lines.Length && !InsnLine().IsMatch(lines[next]); next++)
            {
                if (StateLine().IsMatch(lines[next])) after = lines[next];
            }

            if (after is null) continue;
            compared++;
            if (prototype.Returns != HelperReturn.Integer) pointers++;
            var r0 = R0Kind().Match(after);
            string kind = r0.Success ? r0.Groups[1].Value : "(nothing)";
            string expected = prototype.Returns switch
            {
                HelperReturn.Integer => "scalar",
                HelperReturn.PtrToMapValueOrNull => "map_value_or_null",
                HelperReturn.PtrToMapValue => "map_value",
                HelperReturn.PtrToRingBufMemOrNull => "ringbuf_mem_or_null",
                HelperReturn.PtrToSocketOrNull => "sock_or_null",
                HelperReturn.PtrToSockCommonOrNull => "sock_common_or_null",
                _ => "(nothing)",
            };
            if (char.IsAsciiDigit(kind[0]) || kind[0] == '-') kind = "scalar";
            if (kind != expected) mismatches.Add($"  {(HelperId)id}: the kernel's R0 is {kind}, ours {prototype.Returns}");
        }

        output.WriteLine($"{name}: {compared} helper return types compared ({pointers} not scalars), {mismatches.Count} mismatches");
        Assert.True(mismatches.Count == 0, $"{name}:\n" + string.Join('\n', mismatches));
    }

    /// <summary>R1–R5 set up for <paramref name="prototype"/>, when every argument can be made valid here.</summary>
    private static bool TryArguments(HelperPrototype prototype, out List<ulong> setup)
    {
        setup = [];
        var args = prototype.Args;
        for (int i = 0; i < args.Length; i++)
        {
            int reg = i + 1;
            switch (args[i].Type)
            {
                case HelperArgType.DontCare:
                    return true;
                case HelperArgType.PtrToCtx:
                    setup.Add(ProgramTypesOracle.Insn(0xbf, reg, 6));
                    break;
                case HelperArgType.Anything:
                    setup.Add(ProgramTypesOracle.MovImm(reg, 0));
                    break;
                case HelperArgType.PtrToMem or HelperArgType.PtrToStack:
                    setup.Add(ProgramTypesOracle.Insn(0xbf, reg, 10));
                    setup.Add(ProgramTypesOracle.Insn(0x07, reg, 0, 0, -64));
                    break;
                case HelperArgType.ConstSize or HelperArgType.ConstSizeOrZero or HelperArgType.ConstAllocSizeOrZero:
                    setup.Add(ProgramTypesOracle.MovImm(reg, 8));
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^\d+: \(85\) call ")]
    private static partial Regex CallInsn();

    [GeneratedRegex(@"^\d+: R\d")]
    private static partial Regex StateLine();

    [GeneratedRegex(@"^\d+: \(")]
    private static partial Regex InsnLine();

    [GeneratedRegex(@"\bR0(?:_w)?=([a-z_]+|-?\d+)")]
    private static partial Regex R0Kind();

    private static bool TakesZero(HelperArg arg) => arg.Type switch
    {
        HelperArgType.Anything or HelperArgType.ConstSizeOrZero or HelperArgType.ConstAllocSizeOrZero => true,
        _ => arg.Flags.HasFlag(HelperArgFlags.MaybeNull),
    };

    /// <summary>The kernel's expected-type list (<c>compatible_reg_types</c>) starts with the kind of the argument.</summary>
    private static bool KindFits(HelperArgType type, string kind) => type switch
    {
        HelperArgType.ConstMapPtr => kind == "map_ptr",
        HelperArgType.PtrToCtx => kind == "ctx",
        HelperArgType.PtrToMem or HelperArgType.PtrToMapKey or HelperArgType.PtrToMapValue or HelperArgType.PtrToStack => kind == "fp",
        HelperArgType.PtrToSockCommon or HelperArgType.PtrToBtfIdSockCommon => kind == "sock_common",
        HelperArgType.PtrToSocket => kind == "sock",
        HelperArgType.PtrToFunc => kind == "func",
        HelperArgType.PtrToSpinLock or HelperArgType.PtrToConstStr => kind == "map_value",
        HelperArgType.PtrToAllocMem => kind == "ringbuf_mem",
        _ => false,
    };

    [GeneratedRegex(@"\bR([1-5]) (?:type=scalar expected=([a-z_]+)|invalid zero-sized read|[a-z])")]
    private static partial Regex ArgumentComplaint();
}
