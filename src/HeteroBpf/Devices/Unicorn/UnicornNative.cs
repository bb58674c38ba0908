using System.Runtime.InteropServices;

namespace HeteroBpf.Devices.Unicorn;

/// <summary>
/// P/Invoke declarations for the Unicorn 2 C API (<c>unicorn/unicorn.h</c>, <c>unicorn/arm64.h</c>) in
/// <c>libunicorn.so.2</c>, Debian's <c>libunicorn2</c>; no NuGet package carries it. Constants keep the header's values.
/// </summary>
internal static unsafe partial class UnicornNative
{
    public const string Library = "libunicorn.so.2";
    public const string DebianPackage = "libunicorn2";

    public const int UC_ARCH_ARM64 = 2;
    public const int UC_MODE_ARM = 0;

    public const int UC_HOOK_INTR = 1 << 0;
    public const int UC_HOOK_CODE = 1 << 2;
    public const int UC_HOOK_MEM_READ_UNMAPPED = 1 << 4;
    public const int UC_HOOK_MEM_WRITE_UNMAPPED = 1 << 5;
    public const int UC_HOOK_MEM_FETCH_UNMAPPED = 1 << 6;
    public const int UC_HOOK_MEM_READ_PROT = 1 << 7;
    public const int UC_HOOK_MEM_WRITE_PROT = 1 << 8;
    public const int UC_HOOK_MEM_FETCH_PROT = 1 << 9;
    public const int UC_HOOK_MEM_READ = 1 << 10;
    public const int UC_HOOK_MEM_WRITE = 1 << 11;
    public const int UC_HOOK_MEM_INVALID = UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED
                                           | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT;

    // uc_ctl(uc, UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1), model): type 7 | 1 argument << 26 | write << 30.
    public const int UC_CTL_CPU_MODEL_WRITE = 7 | (1 << 26) | (1 << 30);
    public const int UC_CPU_ARM64_MAX = 3;

    // uc_arm64_reg: INVALID, X29, X30, NZCV, SP, WSP, WZR, XZR, then B0.. and at 199 X0..X28; PC at 260.
    public const int UC_ARM64_REG_X29 = 1;
    public const int UC_ARM64_REG_X30 = 2;
    public const int UC_ARM64_REG_NZCV = 3;
    public const int UC_ARM64_REG_SP = 4;
    public const int UC_ARM64_REG_XZR = 7;
    public const int UC_ARM64_REG_X0 = 199;
    public const int UC_ARM64_REG_PC = 260;

    [LibraryImport(Library)]
    public static partial int uc_open(int arch, int mode, out IntPtr uc);

    [LibraryImport(Library)]
    public static partial int uc_close(IntPtr uc);

    [LibraryImport(Library)]
    public static partial int uc_errno(IntPtr uc);

    [LibraryImport(Library)]
    public static partial IntPtr uc_strerror(int code);

    [LibraryImport(Library)]
    public static partial int uc_ctl(IntPtr uc, int control, int argument);

    [LibraryImport(Library)]
    public static partial int uc_mem_map(IntPtr uc, ulong address, nuint size, uint perms);

    [LibraryImport(Library)]
    public static partial int uc_mem_map_ptr(IntPtr uc, ulong address, nuint size, uint perms, IntPtr ptr);

    [LibraryImport(Library)]
    public static partial int uc_mem_unmap(IntPtr uc, ulong address, nuint size);

    [LibraryImport(Library)]
    public static partial int uc_mem_read(IntPtr uc, ulong address, byte* bytes, nuint size);

    [LibraryImport(Library)]
    public static partial int uc_mem_write(IntPtr uc, ulong address, byte* bytes, nuint size);

    [LibraryImport(Library)]
    public static partial int uc_reg_read(IntPtr uc, int regid, ulong* value);

    [LibraryImport(Library)]
    public static partial int uc_reg_write(IntPtr uc, int regid, ulong* value);

    [LibraryImport(Library)]
    public static partial int uc_emu_start(IntPtr uc, ulong begin, ulong until, ulong timeout, nuint count);

    [LibraryImport(Library)]
    public static partial int uc_emu_stop(IntPtr uc);

    /// <summary>uc_hook_add is variadic; the ARM64 hooks used here pass no variadic arguments.</summary>
    [LibraryImport(Library)]
    public static partial int uc_hook_add(IntPtr uc, out nuint hook, int type, IntPtr callback, IntPtr userData, ulong begin, ulong end);

    [LibraryImport(Library)]
    public static partial int uc_hook_del(IntPtr uc, nuint hook);
}
