using System.Text;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// Every context offset 0..ContextSize+8 × sizes 1, 2, 4, 8 × load and store, per program type and attach type, loaded
/// into the running kernel: its accept/refuse must equal <see cref="ProgramTypeInfo.CheckContextAccess"/>, a refusal
/// must carry the same message, and an accepted load must give the register type the kernel's log shows; every
/// accepted 1-, 2- or 4-byte load is also tried sign-extending (<see cref="ProgramTypes.CheckSignExtendingContextLoad"/>).
/// </summary>
public sealed class ProgramTypesContextTests(ITestOutputHelper output)
{
    /// <summary>Contexts larger than this are checked at their start and around their end (tracepoint, syscall).</summary>
    private const int DenseLimit = 512;

    [Theory]
    [MemberData(nameof(ProgramTypesOracle.CasesAndPrivileges), MemberType = typeof(ProgramTypesOracle))]
    public void ContextAccessMatchesKernel(string name, Privilege privilege)
    {
        var c = ProgramTypesOracle.Case(name);
        var info = ProgramTypes.Get(c.Type, c.Attach);
        int exit = ProgramTypesOracle.GoodReturn(info);
        ProgramTypesOracle.SkipUnlessLoadable(c, privilege, exit);

        var offsets = Offsets(info.ContextSize);
        var (checkedCount, mismatches, unmodelled) = ProgramTypesOracle.RunAt(privilege, () => Compare(c, info, privilege, offsets, exit));
        output.WriteLine($"{name} at {privilege}: {checkedCount} accesses compared, {mismatches.Count} mismatches, {unmodelled} loads of kinds not modelled (BTF pointers, tp_buffer: loaded as scalars)");
        if (mismatches.Count > 0)
        {
            var text = new StringBuilder($"{name} at {privilege}: {mismatches.Count} of {checkedCount} accesses differ from the kernel:\n");
            foreach (string m in mismatches.Take(80)) text.AppendLine(m);
            Assert.Fail(text.ToString());
        }
    }

    private static List<int> Offsets(int contextSize)
    {
        var offsets = new List<int>();
        if (contextSize <= DenseLimit)
        {
            for (int off = 0; off < contextSize + 8; off++) offsets.Add(off);
            return offsets;
        }

        // An instruction's offset is an s16: the end of a 64 KiB context cannot be named, its last encodable bytes can.
        int end = Math.Min(contextSize + 8, short.MaxValue + 1);
        for (int off = 0; off < DenseLimit; off++) offsets.Add(off);
        for (int off = Math.Max(DenseLimit, end - 72); off < end; off++) offsets.Add(off);
        return offsets;
    }

    private static (int Checked, List<string> Mismatches, int Unmodelled) Compare(ProgramTypeCase c, ProgramTypeInfo info, Privilege privilege, List<int> offsets, int exit)
    {
        var mismatches = new List<string>();
        int count = 0, unmodelled = 0;
        foreach (int off in offsets)
        {
            foreach (int size in (int[])[1, 2, 4, 8])
            {
                foreach (bool write in (bool[])[false, true])
                {
                    count++;
                    string? ours = info.CheckContextAccess(off, size, write, privilege, out var loaded);
                    ulong[] program = write
                        ? [ProgramTypesOracle.MovImm(2, 0), ProgramTypesOracle.Store(size, 1, 2, (short)off), ProgramTypesOracle.MovImm(0, exit), ProgramTypesOracle.Exit()]
                        : [ProgramTypesOracle.Load(size, 0, 1, (short)off), ProgramTypesOracle.MovImm(0, exit), ProgramTypesOracle.Exit()];
                    var kernel = ProgramTypesOracle.LoadHere(c, program, logLevel: write ? 1 : 2);
                    string what = $"  {(write ? "store" : "load")} off={off} size={size}:";
                    if (kernel.Accepted != (ours is null))
                    {
                        mismatches.Add($"{what} kernel {(kernel.Accepted ? "accepts" : "refuses (" + kernel.Message + ")")}, ours {(ours is null ? "accepts" : "refuses")}");
                        continue;
                    }

                    if (!kernel.Accepted)
                    {
                        if (!kernel.Message.Contains(ours!, StringComparison.Ordinal)) mismatches.Add($"{what} both refuse, the kernel says \"{kernel.Message}\", ours \"{ours}\"");
                        continue;
                    }

                    if (write) continue;
                    if (size < 8)
                    {
                        // The sign-extending load of the same field.
                        count++;
                        string? oursSx = ProgramTypes.CheckSignExtendingContextLoad(info, off, size, privilege);
                        var kernelSx = ProgramTypesOracle.LoadHere(c, [ProgramTypesOracle.Insn((byte)(0x81 | ProgramTypesOracle.SizeBits(size)), 0, 1, (short)off), ProgramTypesOracle.MovImm(0, exit), ProgramTypesOracle.Exit()]);
                        if (kernelSx.Accepted != (oursSx is null)) mismatches.Add($"  ldxs off={off} size={size}: kernel {(kernelSx.Accepted ? "accepts" : "refuses (" + kernelSx.Message + ")")}, ours {(oursSx is null ? "accepts" : "refuses")}");
                    }

                    var theirs = ProgramTypesOracle.LoadedType(kernel.Log);
                    if (theirs == RegisterType.NotInit && loaded == RegisterType.Scalar)
                    {
                        unmodelled++;
                        continue;
                    }

                    if (theirs != loaded) mismatches.Add($"{what} the kernel loads {(theirs?.ToString() ?? "(state not found in the log)")}, ours {loaded}");
                }
            }
        }

        return (count, mismatches, unmodelled);
    }
}
