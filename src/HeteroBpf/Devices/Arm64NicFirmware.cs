using HeteroBpf.Jit.Arm64;
using static global::HeteroBpf.Jit.Arm64.A64Register;

namespace HeteroBpf.Devices;

/// <summary>
/// The <c>arm64-nic</c>'s firmware: an RX loop emitted with our own <see cref="A64Encoder"/>, so that one emulator
/// entry handles a whole batch. In: X0 = the RX descriptor ring (per packet a u32 device address of its context),
/// X1 = packets in the batch, X2 = the program's run context, X3 = the program's entry, X4 = the completion ring.
/// Per packet it points the program's region table (checked accesses) at the frame — entries 0, 1, 2: context,
/// metadata, packet — with no exit to the host (the host's view follows the table lazily, at helper traps), calls the program with X0 = the <c>xdp_md</c> (AAPCS64, as the
/// JIT's entry takes it) and writes the action into the completion ring (the host completes each entry with the new
/// data offsets from the frame's context).
/// </summary>
internal static class Arm64NicFirmware
{
    /// <summary>Bytes per completion entry: the action (u32), then room the host fills (data, data_end, data_meta offsets).</summary>
    public const int CompletionSize = 16;

    /// <summary>Bytes per RX descriptor: the u32 device address of the frame's context.</summary>
    public const int DescriptorSize = 4;

    // SimContext offsets the firmware reads.
    private const int Data = 0, DataEnd = 4, DataMeta = 8;

    // Where region-table entry i starts in the run context.
    private static int Region(int i) => Arm64RunContext.Regions + (i * Arm64RunContext.RegionEntrySize);

    /// <summary>The firmware's words (position-independent).</summary>
    public static uint[] Emit()
    {
        var e = new A64Encoder(64);
        // Callee-saved registers survive the program's entry (it saves what AAPCS64 says); X30 is kept for the final RET.
        e.Mov(A64Width.X64, X23, X0);  // descriptor cursor
        e.Mov(A64Width.X64, X24, X1);  // packets left
        e.Mov(A64Width.X64, X27, X2);  // run context
        e.Mov(A64Width.X64, X21, X3);  // program entry
        e.Mov(A64Width.X64, X20, X4);  // completion cursor
        e.Mov(A64Width.X64, X26, X30); // where the batch returns
        int loop = e.Count;
        int exitBranch = e.Count;
        e.Cbz(A64Width.X64, X24, 0); // patched below
        e.LdrImmediate(A64MemSize.Word, X0, X23);
        // The program's region table (checked accesses) follows this frame: entries 0, 1, 2 are its context,
        // metadata and packet (the host keeps that order); the host's view follows it lazily, at traps only.
        e.LdrImmediate(A64MemSize.Word, X9, X0, Data);
        e.LdrImmediate(A64MemSize.Word, X10, X0, DataEnd);
        e.LdrImmediate(A64MemSize.Word, X11, X0, DataMeta);
        e.StrImmediate(A64MemSize.Double, X0, X27, Region(0));
        e.StrImmediate(A64MemSize.Double, X11, X27, Region(1));
        e.SubRegister(A64Width.W32, X12, X9, X11);
        e.StrImmediate(A64MemSize.Double, X12, X27, Region(1) + 8);
        e.StrImmediate(A64MemSize.Double, X9, X27, Region(2));
        e.SubRegister(A64Width.W32, X12, X10, X9);
        e.StrImmediate(A64MemSize.Double, X12, X27, Region(2) + 8);
        e.Mov(A64Width.X64, X2, X27);
        e.Blr(X21);
        // The completion is the action alone: every guest store costs ~100 ns in Unicorn, and the new data offsets are
        // in the frame's context already, where the host reads them.
        e.StrImmediate(A64MemSize.Word, X0, X20, 0);
        e.AddImmediate(A64Width.X64, X20, X20, CompletionSize);
        e.AddImmediate(A64Width.X64, X23, X23, DescriptorSize);
        e.SubImmediate(A64Width.X64, X24, X24, 1);
        e.B(loop - e.Count);
        int done = e.Count;
        e.Ret(X26);
        var patch = new A64Encoder(1);
        patch.Cbz(A64Width.X64, X24, done - exitBranch);
        e.Patch(exitBranch, patch.Words[0]);
        return e.Words.ToArray();
    }
}
