using System.Runtime.InteropServices;
using System.Text;

namespace HeteroBpf.Jit.Arm64;

/// <summary>
/// A64 words to text through LLVM's C disassembler API (<c>LLVMCreateDisasm("aarch64-linux-gnu")</c> and
/// <c>LLVMDisasmInstruction</c> in Debian's <c>libLLVM-19.so</c>, package <c>libllvm19</c>): an independent decoder, not
/// ours, for <c>prog dump jited --device arm64-nic</c>. Not thread-safe.
/// </summary>
public sealed unsafe partial class A64Disassembler : IDisposable
{
    private const string Library = "libLLVM-19.so";
    private static readonly object InitLock = new();
    private static bool _initialized;
    private nint _context;
    private readonly byte[] _text = new byte[256];

    private A64Disassembler(nint context) => _context = context;

    /// <summary>A disassembler, or null with the reason when libLLVM-19 cannot be loaded.</summary>
    public static A64Disassembler? TryCreate(out string? reason)
    {
        try
        {
            lock (InitLock)
            {
                if (!_initialized)
                {
                    LLVMInitializeAArch64TargetInfo();
                    LLVMInitializeAArch64TargetMC();
                    LLVMInitializeAArch64Disassembler();
                    _initialized = true;
                }
            }

            nint context = LLVMCreateDisasm("aarch64-linux-gnu", 0, 0, 0, 0);
            if (context == 0)
            {
                reason = "LLVMCreateDisasm(\"aarch64-linux-gnu\") gave no disassembler";
                return null;
            }

            reason = null;
            return new A64Disassembler(context);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"{Library} could not be loaded (Debian package libllvm19): {e.Message}";
            return null;
        }
    }

    /// <summary>The instruction in <paramref name="word"/> at address <paramref name="pc"/>, in LLVM's syntax (<c>&lt;unknown&gt;</c> if it decodes to none).</summary>
    public string Disassemble(uint word, ulong pc)
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        byte* bytes = stackalloc byte[4];
        *(uint*)bytes = word;
        fixed (byte* text = _text)
        {
            nuint size = LLVMDisasmInstruction(_context, bytes, 4, pc, text, (nuint)_text.Length);
            if (size == 0) return "<unknown>";
            int length = Array.IndexOf(_text, (byte)0);
            return Encoding.ASCII.GetString(_text, 0, length < 0 ? _text.Length : length).Trim().Replace('\t', ' ');
        }
    }

    /// <summary>Frees the LLVM disassembler.</summary>
    public void Dispose()
    {
        if (_context != 0) LLVMDisasmDispose(_context);
        _context = 0;
    }

    [LibraryImport(Library)]
    private static partial void LLVMInitializeAArch64TargetInfo();

    [LibraryImport(Library)]
    private static partial void LLVMInitializeAArch64TargetMC();

    [LibraryImport(Library)]
    private static partial void LLVMInitializeAArch64Disassembler();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LLVMCreateDisasm(string triple, nint disInfo, int tagType, nint getOpInfo, nint symbolLookUp);

    [LibraryImport(Library)]
    private static partial nuint LLVMDisasmInstruction(nint context, byte* bytes, ulong size, ulong pc, byte* text, nuint textSize);

    [LibraryImport(Library)]
    private static partial void LLVMDisasmDispose(nint context);
}
