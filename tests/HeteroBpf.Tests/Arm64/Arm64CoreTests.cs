using System.Buffers.Binary;
using System.Runtime.InteropServices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Jit.Arm64;
using static HeteroBpf.Jit.Arm64.A64Register;
using static HeteroBpf.Jit.Arm64.A64Width;

namespace HeteroBpf.Tests.Arm64;

/// <summary>
/// Encoder-made code run on Unicorn's ARM64 (through <see cref="Arm64Core"/>) over one host-owned block of device memory,
/// results compared with the values the ARM ARM gives. Skipped, with the reason, where libunicorn.so.2 cannot be loaded.
/// </summary>
public sealed unsafe class Arm64CoreTests : IDisposable
{
    private const ulong Base = 0x10000, Size = 0x10000, Data = Base + 0x8000, StackTop = Base + Size;
    private readonly byte* _device;
    private readonly Arm64Core _core;

    public Arm64CoreTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
        _device = (byte*)NativeMemory.AlignedAlloc((nuint)Size, 4096);
        new Span<byte>(_device, (int)Size).Clear();
        _core = new Arm64Core();
        _core.MapHostMemory(Base, (nuint)Size, (IntPtr)_device);
    }

    public void Dispose()
    {
        _core?.Dispose();
        if (_device != null) NativeMemory.AlignedFree(_device);
    }

    private Span<byte> Device => new(_device, (int)Size);

    /// <summary>Writes the code at <see cref="Base"/> (as DMA into device memory) and runs it to its end.</summary>
    private void Run(A64Encoder code, ulong maxInstructions = 1_000_000)
    {
        code.ToBytes().CopyTo(Device);
        _core.Sp = StackTop;
        _core.Run(Base, Base + (ulong)code.Count * 4, maxInstructions);
    }

    [Fact]
    public void LoopSumsOneToHundred()
    {
        var a = new A64Encoder();
        a.Movz(X64, X0, 0);
        a.Movz(X64, X1, 1);
        int loop = a.Count;
        a.AddRegister(X64, X0, X0, X1);
        a.AddImmediate(X64, X1, X1, 1);
        a.CmpImmediate(X64, X1, 100);
        a.BCond(A64Condition.Ls, loop - a.Count);
        Run(a);
        Assert.Equal(5050UL, _core.ReadRegister(X0));
        Assert.Equal(101UL, _core.ReadRegister(X1));
    }

    [Fact]
    public void CallWithFrameAndReturn()
    {
        var a = new A64Encoder();
        a.Movz(X64, X0, 20);
        a.Movz(X64, X19, 7);
        int call = a.Count;
        a.Bl(0);              // patched to f below
        a.AddImmediate(X64, X0, X0, 1);
        int jumpOver = a.Count;
        a.B(0);               // patched to the end
        int f = a.Count;      // f: a real frame, x19 callee-saved, nested call to g
        a.Stp(X64, Fp, Lr, Sp, -32, A64PairMode.PreIndex);
        a.MovSp(X64, Fp, Sp);
        a.StrImmediate(A64MemSize.Double, X19, Sp, 16);
        a.Movz(X64, X19, 1000);
        int callG = a.Count;
        a.Bl(0);
        a.AddRegister(X64, X0, X0, X19);
        a.LdrImmediate(A64MemSize.Double, X19, Sp, 16);
        a.Ldp(X64, Fp, Lr, Sp, 32, A64PairMode.PostIndex);
        a.Ret();
        int g = a.Count;      // g: leaf, x0 *= 2
        a.LslImmediate(X64, X0, X0, 1);
        a.Ret();
        int end = a.Count;

        var fix = new A64Encoder();
        fix.Bl(f - call); a.Patch(call, fix.Words[0]); fix.Clear();
        fix.Bl(g - callG); a.Patch(callG, fix.Words[0]); fix.Clear();
        fix.B(end - jumpOver); a.Patch(jumpOver, fix.Words[0]);
        Run(a);
        Assert.Equal(20UL * 2 + 1000 + 1, _core.ReadRegister(X0));
        Assert.Equal(7UL, _core.ReadRegister(X19));
        Assert.Equal(StackTop, _core.Sp);
    }

    [Fact]
    public void AtomicsOnDeviceMemorySeenByTheHost()
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Device[0x8000..], 40);
        BinaryPrimitives.WriteUInt64LittleEndian(Device[0x8008..], 5);
        BinaryPrimitives.WriteUInt32LittleEndian(Device[0x8010..], 0xf0);
        var a = new A64Encoder();
        a.MovConstant(X64, X3, Data);
        a.Movz(X64, X1, 2);
        a.Ldadd(A64MemSize.Double, X1, X2, X3, A64Ordering.AcquireRelease);   // [data] 40 → 42, x2 = 40
        a.Movz(X64, X4, 5);
        a.Movz(X64, X5, 99);
        a.AddImmediate(X64, X6, X3, 8);
        a.Cas(A64MemSize.Double, X4, X5, X6, A64Ordering.AcquireRelease);     // [data+8] 5 → 99, x4 = 5
        int retry = a.Count;                                                  // exclusive loop: [data+16] (32-bit) |= 0x0f
        a.AddImmediate(X64, X7, X3, 16);
        a.Ldaxr(A64MemSize.Word, X8, X7);
        a.OrrImmediate(W32, X8, X8, 0x0f);
        a.Stlxr(A64MemSize.Word, X9, X8, X7);
        a.Cbnz(W32, X9, retry - a.Count);
        a.Movz(X64, X10, 0x100);
        a.Ldset(A64MemSize.Word, X10, Zr, X7);                               // STSET: [data+16] |= 0x100
        Run(a);
        Assert.Equal(40UL, _core.ReadRegister(X2));
        Assert.Equal(42UL, BinaryPrimitives.ReadUInt64LittleEndian(Device[0x8000..]));
        Assert.Equal(5UL, _core.ReadRegister(X4));
        Assert.Equal(99UL, BinaryPrimitives.ReadUInt64LittleEndian(Device[0x8008..]));
        Assert.Equal(0x1ffu, BinaryPrimitives.ReadUInt32LittleEndian(Device[0x8010..]));
        Assert.Equal(0UL, _core.ReadRegister(X9));
    }

    [Fact]
    public void BrkTrapsToHostWhichChangesX0AndResumes()
    {
        var a = new A64Encoder();
        a.Movz(X64, X0, 1);
        int brk = a.Count;
        a.Brk(0x42);
        a.AddImmediate(X64, X0, X0, 1);
        a.Svc(7);
        a.AddImmediate(X64, X0, X0, 1);
        var seen = new List<(uint Exception, ulong Pc, ulong X0)>();
        _core.OnException = (core, number) =>
        {
            seen.Add((number, core.Pc, core.ReadRegister(X0)));
            if (number == Arm64Exception.Breakpoint)
            {
                core.WriteRegister(X0, 100);
                core.Pc += 4; // BRK leaves PC at itself
            }
        };
        Run(a);
        Assert.Equal(102UL, _core.ReadRegister(X0));
        Assert.Equal(2, seen.Count);
        Assert.Equal((Arm64Exception.Breakpoint, Base + (ulong)brk * 4, 1UL), seen[0]);
        Assert.Equal((Arm64Exception.SupervisorCall, Base + (ulong)(brk + 3) * 4, 101UL), seen[1]); // SVC: PC already after it
    }

    [Theory]
    [InlineData(false, 0xdead_0000UL)]
    [InlineData(true, 0x4_0000_0008UL)]
    public void InvalidAccessIsReportedWithItsAddress(bool write, ulong address)
    {
        var a = new A64Encoder();
        a.MovConstant(X64, X1, address);
        a.Movz(X64, X0, 0x55);
        if (write) a.StrImmediate(A64MemSize.Word, X0, X1);
        else a.LdrImmediate(A64MemSize.Double, X0, X1);
        a.Nop();
        var e = Assert.Throws<UnicornException>(() => Run(a));
        Assert.Contains("uc_emu_start", e.Message, StringComparison.Ordinal);
        var fault = Assert.NotNull(_core.LastFault);
        Assert.Equal(write ? UnicornMemoryAccess.WriteUnmapped : UnicornMemoryAccess.ReadUnmapped, fault.Access);
        Assert.Equal(address, fault.Address);
        Assert.Equal(write ? 4 : 8, fault.Size);
        if (write) Assert.Equal(0x55, fault.Value);
        Assert.Equal(write ? 7 : 6, e.Code); // UC_ERR_WRITE_UNMAPPED, UC_ERR_READ_UNMAPPED
        Assert.Contains(write ? "write" : "read", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void UnicornOwnedMemoryFlagsAndStopFromAHook()
    {
        const ulong Table = 0x100_0000;
        _core.Map(Table, 0x1000, UnicornProtection.Read | UnicornProtection.Write);
        _core.Write(Table, [1, 2, 3, 4, 5, 6, 7, 8]);
        var a = new A64Encoder();
        a.MovConstant(X64, X1, Table);
        a.LdrImmediate(A64MemSize.Double, X0, X1);
        a.Rev(X64, X0, X0);
        a.StrImmediate(A64MemSize.Double, X0, X1, 8);
        a.CmpImmediate(X64, X0, 0);                 // positive, non-zero, no borrow: N=0 Z=0 C=1 V=0
        a.Svc(0);
        a.Movz(X64, X0, 0xbad);                     // never reached: the hook stops the run
        _core.OnException = (core, _) => core.Stop();
        Run(a);
        Span<byte> back = stackalloc byte[8];
        _core.Read(Table + 8, back);
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1 }, back.ToArray());
        Assert.Equal(0x0102_0304_0506_0708UL, _core.ReadRegister(X0));
        Assert.Equal(0x2000_0000UL, _core.Nzcv); // C only
        Assert.Equal(7, a.Count);
        Assert.Equal(Base + 6 * 4, _core.Pc); // stopped right after the SVC, before the MOVZ
        Assert.Equal(0UL, _core.ReadRegister(Zr));
    }

    [Fact]
    public void DisposedCoreRefusesUse()
    {
        var core = new Arm64Core();
        core.Dispose();
        core.Dispose();
        Assert.Throws<ObjectDisposedException>(() => core.Pc);
    }

    [Fact]
    public void HookExceptionsSurfaceFromRun()
    {
        var a = new A64Encoder();
        a.Brk(1);
        _core.OnException = (_, _) => throw new InvalidDataException("from the hook");
        var e = Assert.Throws<InvalidOperationException>(() => Run(a));
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void MovConstantMaterialisesEveryValue()
    {
        var random = new Random(7);
        var values = new List<ulong> { 0, 1, ulong.MaxValue, 0x8000_0000_0000_0000, 0xffff_0000_ffff_0000, 0x0000_ffff_0000_ffff, 0x1234_0000_0000_0000, 0xffff_ffff_0000_0000 };
        for (int i = 0; i < 300; i++)
        {
            ulong v = (ulong)random.NextInt64();
            // Random 16-bit chunks of 0, 0xffff or anything, to reach every path.
            for (int c = 0; c < 4; c++)
            {
                int kind = random.Next(3);
                ulong chunk = kind == 0 ? 0 : kind == 1 ? 0xffff : (v >> (16 * c)) & 0xffff;
                v = (v & ~(0xffffUL << (16 * c))) | (chunk << (16 * c));
            }
            values.Add(v);
        }
        var a = new A64Encoder();
        var widths = new List<(A64Width Width, ulong Value, int Words)>();
        foreach (ulong v in values)
            foreach (var w in new[] { X64, W32 })
            {
                ulong value = w == X64 ? v : v & uint.MaxValue;
                int start = a.Count;
                int words = a.MovConstant(w, X0, value);
                Assert.Equal(a.Count - start, words);
                Assert.InRange(words, 1, w == X64 ? 4 : 2);
                a.StrImmediate(A64MemSize.Double, X0, X1, 8L * widths.Count);
                widths.Add((w, value, words));
            }
        var prologue = new A64Encoder();
        prologue.MovConstant(X64, X1, Data);
        var all = new A64Encoder();
        foreach (uint word in prologue.Words) all.Emit(word);
        foreach (uint word in a.Words) all.Emit(word);
        Run(all);
        for (int i = 0; i < widths.Count; i++)
            Assert.True(BinaryPrimitives.ReadUInt64LittleEndian(Device[(0x8000 + 8 * i)..]) == widths[i].Value, $"{widths[i].Width} 0x{widths[i].Value:x}");
    }

    public static TheoryData<string> AluOps() => new() { "add", "sub", "and", "orr", "eor", "lsl", "lsr", "asr", "udiv", "sdiv", "mul", "msub", "rev", "rev16", "rev32", "neg", "mvn", "csel", "sxtb", "sxth", "sxtw", "uxtb", "uxth", "uxtw" };

    /// <summary>Each operation on fixed-seed operands (edges included) against C#'s own arithmetic, both widths.</summary>
    [Theory]
    [MemberData(nameof(AluOps))]
    public void AluFormsComputeTheirArithmetic(string op)
    {
        ulong[] edges = [0, 1, 2, 63, 64, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ulong.MaxValue, 0x0123_4567_89ab_cdef];
        var random = new Random(op.Length * 31 + op[0]);
        var inputs = new List<(ulong, ulong)>();
        foreach (ulong x in edges) foreach (ulong y in edges) inputs.Add((x, y));
        for (int i = 0; i < 50; i++) inputs.Add(((ulong)random.NextInt64(), (ulong)random.NextInt64()));
        foreach (var w in new[] { X64, W32 })
        {
            if (w == W32 && op is "rev32" or "sxtw" or "uxtw" or "uxtb" or "uxth") continue;
            var a = new A64Encoder();
            switch (op)
            {
                case "add": a.AddRegister(w, X0, X1, X2); break;
                case "sub": a.SubRegister(w, X0, X1, X2); break;
                case "and": a.AndRegister(w, X0, X1, X2); break;
                case "orr": a.OrrRegister(w, X0, X1, X2); break;
                case "eor": a.EorRegister(w, X0, X1, X2); break;
                case "lsl": a.Lslv(w, X0, X1, X2); break;
                case "lsr": a.Lsrv(w, X0, X1, X2); break;
                case "asr": a.Asrv(w, X0, X1, X2); break;
                case "udiv": a.Udiv(w, X0, X1, X2); break;
                case "sdiv": a.Sdiv(w, X0, X1, X2); break;
                case "mul": a.Mul(w, X0, X1, X2); break;
                case "msub": a.Udiv(w, X3, X1, X2); a.Msub(w, X0, X3, X2, X1); break; // unsigned remainder
                case "rev": a.Rev(w, X0, X1); break;
                case "rev16": a.Rev16(w, X0, X1); break;
                case "rev32": a.Rev32(X0, X1); break;
                case "neg": a.Neg(w, X0, X2); break;
                case "mvn": a.Mvn(w, X0, X2); break;
                case "csel": a.CmpRegister(w, X1, X2); a.Csel(w, X0, X1, X2, A64Condition.Lo); break; // unsigned min
                case "sxtb": a.Sxtb(w, X0, X1); break;
                case "sxth": a.Sxth(w, X0, X1); break;
                case "sxtw": a.Sxtw(X0, X1); break;
                case "uxtb": a.Uxtb(X0, X1); break;
                case "uxth": a.Uxth(X0, X1); break;
                case "uxtw": a.Uxtw(X0, X1); break;
            }
            foreach (var (x, y) in inputs)
            {
                _core.WriteRegister(X0, 0xdead);
                _core.WriteRegister(X1, x);
                _core.WriteRegister(X2, y);
                Run(a);
                ulong expected = Expected(op, w, x, y);
                ulong got = _core.ReadRegister(X0);
                Assert.True(expected == got, $"{op} {w} 0x{x:x}, 0x{y:x}: expected 0x{expected:x}, got 0x{got:x}");
            }
        }
    }

    private static ulong Expected(string op, A64Width w, ulong x, ulong y)
    {
        if (w == X64)
            return op switch
            {
                "add" => x + y, "sub" => x - y, "and" => x & y, "orr" => x | y, "eor" => x ^ y,
                "lsl" => x << (int)(y & 63), "lsr" => x >> (int)(y & 63), "asr" => (ulong)((long)x >> (int)(y & 63)),
                "udiv" => y == 0 ? 0 : x / y,
                "sdiv" => y == 0 ? 0 : (long)x == long.MinValue && (long)y == -1 ? x : (ulong)((long)x / (long)y),
                "mul" => x * y, "msub" => y == 0 ? x : x % y,
                "rev" => BinaryPrimitives.ReverseEndianness(x),
                "rev16" => ((x & 0x00ff00ff00ff00ff) << 8) | ((x >> 8) & 0x00ff00ff00ff00ff),
                "rev32" => ((ulong)BinaryPrimitives.ReverseEndianness((uint)(x >> 32)) << 32) | BinaryPrimitives.ReverseEndianness((uint)x),
                "neg" => 0 - y, "mvn" => ~y, "csel" => Math.Min(x, y),
                "sxtb" => (ulong)(long)(sbyte)x, "sxth" => (ulong)(long)(short)x, "sxtw" => (ulong)(long)(int)x,
                "uxtb" => (byte)x, "uxth" => (ushort)x, "uxtw" => (uint)x,
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        uint a = (uint)x, b = (uint)y;
        return op switch
        {
            "add" => a + b, "sub" => a - b, "and" => a & b, "orr" => a | b, "eor" => a ^ b,
            "lsl" => a << (int)(b & 31), "lsr" => a >> (int)(b & 31), "asr" => (uint)((int)a >> (int)(b & 31)),
            "udiv" => b == 0 ? 0 : a / b,
            "sdiv" => b == 0 ? 0 : (int)a == int.MinValue && (int)b == -1 ? a : (uint)((int)a / (int)b),
            "mul" => a * b, "msub" => b == 0 ? a : a % b,
            "rev" => BinaryPrimitives.ReverseEndianness(a),
            "rev16" => ((a & 0x00ff00ff) << 8) | ((a >> 8) & 0x00ff00ff),
            "neg" => 0 - b, "mvn" => ~b, "csel" => Math.Min(a, b),
            "sxtb" => (uint)(sbyte)a, "sxth" => (uint)(short)a,
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }
}
