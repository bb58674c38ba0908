using System.Text;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// <see cref="ProgramTypeInfo.ReturnRange"/> against the kernel's <c>check_return_code</c>: each type exits with R0 a
/// known constant (−1, 0 … 4, 2³¹−1, 2³², 2⁶³−1 as a full 64-bit value, 0xffffffff from a 32-bit move) and the kernel
/// accepts exactly the ones inside the range (all of them when the range is null).
/// </summary>
public sealed class ProgramTypesReturnTests(ITestOutputHelper output)
{
    private static readonly long[] Values = [-1, 0, 1, 2, 3, 4, int.MaxValue, 1L << 32, long.MaxValue, 0xffffffffL];

    [Theory]
    [MemberData(nameof(ProgramTypesOracle.CasesAndPrivileges), MemberType = typeof(ProgramTypesOracle))]
    public void ReturnRangeMatchesKernel(string name, Privilege privilege)
    {
        var c = ProgramTypesOracle.Case(name);
        var info = ProgramTypes.Get(c.Type, c.Attach);
        ProgramTypesOracle.SkipUnlessLoadable(c, privilege, ProgramTypesOracle.GoodReturn(info));
        var mismatches = new List<string>();
        ProgramTypesOracle.RunAt(privilege, () =>
        {
            foreach (long value in Values)
            {
                ulong[] program = value == 0xffffffffL
                    ? [ProgramTypesOracle.Insn(0xb4, 0, 0, 0, -1), ProgramTypesOracle.Exit()] // w0 = -1: zero-extended
                    : [ProgramTypesOracle.Insn(0x18, 0, 0, 0, (int)value), ProgramTypesOracle.Insn(0, 0, 0, 0, (int)(value >> 32)), ProgramTypesOracle.Exit()];
                var kernel = ProgramTypesOracle.LoadHere(c, program);
                bool ours = info.ReturnRange is not { } r || (value >= r.Min && value <= r.Max);
                if (kernel.Accepted != ours) mismatches.Add($"  R0 = {value}: kernel {(kernel.Accepted ? "accepts" : "refuses (" + kernel.Message + ")")}, ours {(ours ? "accepts" : "refuses")}");
            }

            return 0;
        });

        output.WriteLine($"{name} at {privilege}: range {info.ReturnRange?.ToString() ?? "unchecked"}, {Values.Length} values, {mismatches.Count} mismatches");
        if (mismatches.Count > 0)
        {
            var text = new StringBuilder($"{name} at {privilege} (ours {info.ReturnRange?.ToString() ?? "unchecked"}):\n");
            foreach (string m in mismatches) text.AppendLine(m);
            Assert.Fail(text.ToString());
        }
    }
}
