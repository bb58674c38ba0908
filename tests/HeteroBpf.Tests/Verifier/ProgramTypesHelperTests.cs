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
