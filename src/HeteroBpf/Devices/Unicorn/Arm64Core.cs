using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using HeteroBpf.Jit.Arm64;

namespace HeteroBpf.Devices.Unicorn;

/// <summary>Page permissions of a mapping (UnicornNative.UC_PROT_*).</summary>
[Flags]
public enum UnicornProtection : uint
{
    /// <summary>No access.</summary>
    None = 0,
    /// <summary>Readable.</summary>
    Read = 1,
    /// <summary>Writable.</summary>
    Write = 2,
    /// <summary>Executable.</summary>
    Exec = 4,
    /// <summary>Everything.</summary>
    All = 7,
}

/// <summary>The kind of an invalid memory access (uc_mem_type).</summary>
public enum UnicornMemoryAccess
{
    /// <summary>Read of unmapped memory.</summary>
    ReadUnmapped = 19,
    /// <summary>Write to unmapped memory.</summary>
    WriteUnmapped = 20,
    /// <summary>Instruction fetch from unmapped memory.</summary>
    FetchUnmapped = 21,
    /// <summary>Write to write-protected memory.</summary>
    WriteProtected = 22,
    /// <summary>Read of read-protected memory.</summary>
    ReadProtected = 23,
    /// <summary>Fetch from non-executable memory.</summary>
    FetchProtected = 24,
}

/// <summary>An invalid access reported by the emulator: kind, address, size and (for a write) the value.</summary>
public readonly record struct UnicornMemoryFault(UnicornMemoryAccess Access, ulong Address, int Size, long Value);

/// <summary>QEMU's exception numbers that reach the interrupt hook on ARM64.</summary>
public static class Arm64Exception
{
    /// <summary>SVC (EXCP_SWI); PC already points after the instruction.</summary>
    public const uint SupervisorCall = 2;
    /// <summary>BRK (EXCP_BKPT); PC still points at the BRK: advance it by 4 to resume after it.</summary>
    public const uint Breakpoint = 7;
    /// <summary>HVC (EXCP_HVC).</summary>
    public const uint HypervisorCall = 11;
}

/// <summary>A Unicorn call that failed: the API, its uc_err code and Unicorn's text for it.</summary>
public sealed class UnicornException(string call, int code, string message)
    : Exception($"{call}: {message} (uc_err {code})")
{
    /// <summary>The uc_err value.</summary>
    public int Code { get; } = code;
}

/// <summary>libunicorn.so.2 could not be loaded: names the Debian package that provides it.</summary>
public sealed class UnicornUnavailableException(string reason) : Exception(reason);

/// <summary>
/// One emulated ARM64 core (Unicorn, CPU model "max" so that LSE atomics exist): memory maps (host-owned native blocks via
/// <see cref="MapHostMemory"/>, or Unicorn-owned), registers, runs, and hooks for exceptions (BRK/SVC/HVC → host code)
/// and invalid memory accesses. Not thread-safe: one thread drives a core at a time.
/// </summary>
public sealed unsafe class Arm64Core : IDisposable
{
    private IntPtr _uc;
    private GCHandle _self;
    private Exception? _callbackError;
    private bool _precisePc;

    /// <summary>Called on BRK, SVC or HVC with the exception number (<see cref="Arm64Exception"/>); may read and write registers, or <see cref="Stop"/>.</summary>
    public Action<Arm64Core, uint>? OnException { get; set; }

    /// <summary>
    /// Called on an invalid access after <see cref="LastFault"/> is set; true resumes (the handler mapped the memory),
    /// false (and no handler) stops the run with an error.
    /// </summary>
    public Func<Arm64Core, UnicornMemoryFault, bool>? OnInvalidMemory { get; set; }

    /// <summary>The last invalid memory access reported during a run, if any.</summary>
    public UnicornMemoryFault? LastFault { get; private set; }

    /// <summary>Whether libunicorn.so.2 loads here; otherwise <paramref name="reason"/> says what to install.</summary>
    public static bool IsAvailable([NotNullWhen(false)] out string? reason)
    {
        if (NativeLibrary.TryLoad(UnicornNative.Library, typeof(Arm64Core).Assembly, null, out IntPtr handle))
        {
            NativeLibrary.Free(handle);
            reason = null;
            return true;
        }
        reason = $"{UnicornNative.Library} could not be loaded: install the Debian package {UnicornNative.DebianPackage} (apt-get install {UnicornNative.DebianPackage})";
        return false;
    }

    /// <summary>Opens an ARM64 little-endian core; throws <see cref="UnicornUnavailableException"/> when the library is missing.</summary>
    public Arm64Core()
    {
        if (!IsAvailable(out string? reason)) throw new UnicornUnavailableException(reason);
        Check("uc_open", UnicornNative.uc_open(UnicornNative.UC_ARCH_ARM64, UnicornNative.UC_MODE_ARM, out _uc));
        try
        {
            Check("UnicornNative.uc_ctl(CPU_MODEL)", UnicornNative.uc_ctl(_uc, UnicornNative.UC_CTL_CPU_MODEL_WRITE, UnicornNative.UC_CPU_ARM64_MAX));
            _self = GCHandle.Alloc(this);
            IntPtr user = GCHandle.ToIntPtr(_self);
            Check("UnicornNative.uc_hook_add(INTR)", UnicornNative.uc_hook_add(_uc, out _, UnicornNative.UC_HOOK_INTR, (IntPtr)(delegate* unmanaged<IntPtr, uint, IntPtr, void>)&InterruptHook, user, 1, 0));
            Check("UnicornNative.uc_hook_add(MEM_INVALID)", UnicornNative.uc_hook_add(_uc, out _, UnicornNative.UC_HOOK_MEM_INVALID, (IntPtr)(delegate* unmanaged<IntPtr, int, ulong, int, long, IntPtr, byte>)&InvalidMemoryHook, user, 1, 0));
            if (t_countForMeasurement)
            {
                Check("uc_hook_add(CODE)", UnicornNative.uc_hook_add(_uc, out _, UnicornNative.UC_HOOK_CODE, (IntPtr)(delegate* unmanaged<IntPtr, ulong, uint, IntPtr, void>)&CountInstruction, IntPtr.Zero, 1, 0));
                Check("uc_hook_add(MEM_WRITE)", UnicornNative.uc_hook_add(_uc, out _, UnicornNative.UC_HOOK_MEM_WRITE, (IntPtr)(delegate* unmanaged<IntPtr, int, ulong, int, long, IntPtr, void>)&CountStore, IntPtr.Zero, 1, 0));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps <paramref name="size"/> bytes of host memory at <paramref name="host"/> (which the caller owns and keeps alive
    /// and unmoved while the core exists) at guest <paramref name="address"/>; both page-aligned (4 KiB).
    /// The host reads and writes it directly, as device DMA.
    /// </summary>
    public void MapHostMemory(ulong address, nuint size, IntPtr host, UnicornProtection protection = UnicornProtection.All) =>
        Check("uc_mem_map_ptr", UnicornNative.uc_mem_map_ptr(Handle, address, size, (uint)protection, host));

    /// <summary>
    /// Makes PC exact at an invalid access (<see cref="OnInvalidMemory"/> and after the run stops): Unicorn writes PC back
    /// before each load and store only while a read/write hook covers the access, so this adds one over every address
    /// whose callback does nothing: a call per load and store.
    /// </summary>
    public void EnablePrecisePc()
    {
        if (_precisePc) return;
        Check("uc_hook_add(MEM_READ|MEM_WRITE)", UnicornNative.uc_hook_add(Handle, out _, UnicornNative.UC_HOOK_MEM_READ | UnicornNative.UC_HOOK_MEM_WRITE, (IntPtr)(delegate* unmanaged<IntPtr, int, ulong, int, long, IntPtr, void>)&IgnoreAccess, IntPtr.Zero, 1, 0));
        _precisePc = true;
    }

    [ThreadStatic]
    private static bool t_countForMeasurement;
    private static long s_instructions, s_stores;

    /// <summary>
    /// For measurements only: cores opened on this thread while set hook every instruction and every guest store (a
    /// host callback each, so they run far slower) and add them to <see cref="CountedInstructions"/> and
    /// <see cref="CountedStores"/> (all such cores together).
    /// </summary>
    internal static bool CountOnCoresOpenedHere { get => t_countForMeasurement; set => t_countForMeasurement = value; }

    /// <summary>Guest instructions executed by counting cores since <see cref="ResetCounts"/>.</summary>
    internal static long CountedInstructions => Interlocked.Read(ref s_instructions);

    /// <summary>Guest stores (each store access QEMU makes: an STP is two) by counting cores since <see cref="ResetCounts"/>.</summary>
    internal static long CountedStores => Interlocked.Read(ref s_stores);

    /// <summary>Zeroes the counts.</summary>
    internal static void ResetCounts()
    {
        Interlocked.Exchange(ref s_instructions, 0);
        Interlocked.Exchange(ref s_stores, 0);
    }

    [UnmanagedCallersOnly]
    private static void CountInstruction(IntPtr uc, ulong address, uint size, IntPtr user) => Interlocked.Increment(ref s_instructions);

    [UnmanagedCallersOnly]
    private static void CountStore(IntPtr uc, int type, ulong address, int size, long value, IntPtr user) => Interlocked.Increment(ref s_stores);

    [UnmanagedCallersOnly]
    private static void IgnoreAccess(IntPtr uc, int type, ulong address, int size, long value, IntPtr user)
    {
    }

    /// <summary>Removes the mapping of <paramref name="size"/> bytes at <paramref name="address"/> (page-aligned); host memory stays the caller's.</summary>
    public void Unmap(ulong address, nuint size) =>
        Check("uc_mem_unmap", UnicornNative.uc_mem_unmap(Handle, address, size));

    /// <summary>Maps <paramref name="size"/> bytes of zeroed Unicorn-owned memory at <paramref name="address"/>.</summary>
    public void Map(ulong address, nuint size, UnicornProtection protection = UnicornProtection.All) =>
        Check("uc_mem_map", UnicornNative.uc_mem_map(Handle, address, size, (uint)protection));

    /// <summary>Copies guest memory into <paramref name="destination"/>.</summary>
    public void Read(ulong address, Span<byte> destination)
    {
        fixed (byte* p = destination) Check("uc_mem_read", UnicornNative.uc_mem_read(Handle, address, p, (nuint)destination.Length));
    }

    /// <summary>Copies <paramref name="source"/> into guest memory (e.g. code).</summary>
    public void Write(ulong address, ReadOnlySpan<byte> source)
    {
        fixed (byte* p = source) Check("uc_mem_write", UnicornNative.uc_mem_write(Handle, address, p, (nuint)source.Length));
    }

    /// <summary>Reads X0–X30, SP or ZR (always 0).</summary>
    public ulong ReadRegister(A64Register register) => ReadRaw(RegisterId(register));

    /// <summary>Writes X0–X30 or SP (writes to ZR are ignored by the CPU).</summary>
    public void WriteRegister(A64Register register, ulong value) => WriteRaw(RegisterId(register), value);

    /// <summary>The program counter.</summary>
    public ulong Pc { get => ReadRaw(UnicornNative.UC_ARM64_REG_PC); set => WriteRaw(UnicornNative.UC_ARM64_REG_PC, value); }

    /// <summary>The stack pointer.</summary>
    public ulong Sp { get => ReadRaw(UnicornNative.UC_ARM64_REG_SP); set => WriteRaw(UnicornNative.UC_ARM64_REG_SP, value); }

    /// <summary>The condition flags, N Z C V in bits 31–28.</summary>
    public ulong Nzcv { get => ReadRaw(UnicornNative.UC_ARM64_REG_NZCV); set => WriteRaw(UnicornNative.UC_ARM64_REG_NZCV, value); }

    /// <summary>
    /// Runs from <paramref name="begin"/> until PC reaches <paramref name="until"/>, <paramref name="maxInstructions"/>
    /// instructions ran (0 = no limit), <paramref name="timeoutMicroseconds"/> passed (0 = none), or <see cref="Stop"/>.
    /// An invalid access nobody handled throws <see cref="UnicornException"/> (<see cref="LastFault"/> says where); an
    /// exception thrown by a hook is rethrown here.
    /// </summary>
    public void Run(ulong begin, ulong until, ulong maxInstructions = 0, ulong timeoutMicroseconds = 0)
    {
        LastFault = null;
        _callbackError = null;
        int err = UnicornNative.uc_emu_start(Handle, begin, until, timeoutMicroseconds, (nuint)maxInstructions);
        if (_callbackError is { } hookError)
        {
            _callbackError = null;
            throw new InvalidOperationException("an Arm64Core hook threw", hookError);
        }
        Check("uc_emu_start", err);
    }

    /// <summary>Stops the current run after the current instruction (callable from a hook).</summary>
    public void Stop() => Check("uc_emu_stop", UnicornNative.uc_emu_stop(Handle));

    /// <summary>Unicorn's last error on this core (uc_errno) and its text.</summary>
    public (int Code, string Message) LastError
    {
        get
        {
            int code = UnicornNative.uc_errno(Handle);
            return (code, ErrorText(code));
        }
    }

    /// <summary>Closes the core.</summary>
    public void Dispose()
    {
        if (_uc != IntPtr.Zero)
        {
            UnicornNative.uc_close(_uc);
            _uc = IntPtr.Zero;
        }
        if (_self.IsAllocated) _self.Free();
    }

    private IntPtr Handle => _uc != IntPtr.Zero ? _uc : throw new ObjectDisposedException(nameof(Arm64Core));

    private ulong ReadRaw(int id)
    {
        ulong value;
        Check("uc_reg_read", UnicornNative.uc_reg_read(Handle, id, &value));
        return value;
    }

    private void WriteRaw(int id, ulong value) => Check("uc_reg_write", UnicornNative.uc_reg_write(Handle, id, &value));

    private static int RegisterId(A64Register register) => register switch
    {
        <= A64Register.X28 => UnicornNative.UC_ARM64_REG_X0 + (int)register,
        A64Register.X29 => UnicornNative.UC_ARM64_REG_X29,
        A64Register.X30 => UnicornNative.UC_ARM64_REG_X30,
        A64Register.Zr => UnicornNative.UC_ARM64_REG_XZR,
        A64Register.Sp => UnicornNative.UC_ARM64_REG_SP,
        _ => throw new ArgumentOutOfRangeException(nameof(register), register, "not an ARM64 general-purpose register"),
    };

    private static string ErrorText(int code) => Marshal.PtrToStringUTF8(UnicornNative.uc_strerror(code)) ?? $"uc_err {code}";

    private static void Check(string call, int err)
    {
        if (err != 0) throw new UnicornException(call, err, ErrorText(err));
    }

    private static Arm64Core? From(IntPtr user) => GCHandle.FromIntPtr(user).Target as Arm64Core;

    [UnmanagedCallersOnly]
    private static void InterruptHook(IntPtr uc, uint number, IntPtr user)
    {
        var core = From(user);
        if (core is null) return;
        try
        {
            if (core.OnException is { } handler) handler(core, number);
            else UnicornNative.uc_emu_stop(uc); // nobody handles it: end the run with PC at the trap
        }
        catch (Exception e)
        {
            core._callbackError ??= e;
            UnicornNative.uc_emu_stop(uc);
        }
    }

    [UnmanagedCallersOnly]
    private static byte InvalidMemoryHook(IntPtr uc, int type, ulong address, int size, long value, IntPtr user)
    {
        var core = From(user);
        if (core is null) return 0;
        var fault = new UnicornMemoryFault((UnicornMemoryAccess)type, address, size, value);
        core.LastFault = fault;
        try
        {
            return core.OnInvalidMemory is { } handler && handler(core, fault) ? (byte)1 : (byte)0;
        }
        catch (Exception e)
        {
            core._callbackError ??= e;
            return 0;
        }
    }
}
