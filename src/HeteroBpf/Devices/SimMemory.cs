using System.Runtime.InteropServices;
using HeteroBpf.Offload;

namespace HeteroBpf.Devices;

/// <summary>
/// The sim device's memory domain: one native block mapped below 4 GiB, so that device addresses fit the 32-bit
/// <c>xdp_md</c> fields (the way a NIC's own address space does) and programs run on the UAPI context with no host
/// rewrite. It holds the device's packet frames, each followed by its context; maps the device allocates live in
/// their own native blocks and are reached only through the device. Freed when the device's last port goes.
/// </summary>
internal sealed unsafe partial class SimMemory : DeviceDomain
{
    /// <summary>Bytes per frame slot: the frame, then 64 bytes of context (24 UAPI + the device's own fields).</summary>
    public const int SlotSize = DeviceTestRun.FrameSize + ContextSize;

    /// <summary>Bytes of context after each frame.</summary>
    public const int ContextSize = 64;

    private const int PROT_READ = 1, PROT_WRITE = 2;
    private const int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_32BIT = 0x40, MAP_FIXED_NOREPLACE = 0x100000;
    private static readonly nint MapFailed = -1;

    private byte* _block;
    private readonly nuint _length;
    private readonly Stack<int> _free = new();
    private readonly int _slots;

    public SimMemory(OffloadDevice device, int slots)
        : base(device)
    {
        _slots = slots;
        _length = (nuint)(slots * SlotSize);
        for (int i = slots - 1; i >= 0; i--) _free.Push(i);
    }

    /// <summary>A frame slot for one run, or null when every slot is busy; give it back with <see cref="Return"/>.</summary>
    /// <exception cref="HbpfException">No room below 4 GiB for the device memory (HB9110).</exception>
    public byte* Rent()
    {
        lock (_free)
        {
            // Mapped at the first run, so that a registry that merely lists the device maps nothing.
            if (_block is null)
            {
                _block = Map(_length);
                if (_block is null) throw new HbpfException(ErrorCode.DeviceMemoryUnavailable, $"{Device.Name}: cannot map {_length} bytes of device memory below 4 GiB (the sim's 32-bit address space)");
            }

            return _free.Count == 0 ? null : _block + (_free.Pop() * SlotSize);
        }
    }

    /// <summary>Gives a slot back.</summary>
    public void Return(byte* slot)
    {
        lock (_free)
        {
            _free.Push((int)((slot - _block) / SlotSize));
        }
    }

    /// <summary>Frame slots in all.</summary>
    public int Slots => _slots;

    public override void Dispose()
    {
        lock (_free)
        {
            if (_block is not null) _ = munmap((nint)_block, _length);
            _block = null;
        }
    }

    // MAP_32BIT where the kernel has it (x86-64: the first 2 GiB); elsewhere fixed hints below 4 GiB that never replace
    // an existing mapping.
    private static byte* Map(nuint length)
    {
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            nint p = mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
            if (p != MapFailed && (ulong)p + length <= 1UL << 32) return (byte*)p;
            if (p != MapFailed) _ = munmap(p, length);
        }

        for (ulong hint = 0x4000_0000; hint + length <= 1UL << 32; hint += 0x0800_0000)
        {
            nint p = mmap((nint)hint, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p == MapFailed) continue;
            if ((ulong)p + length <= 1UL << 32) return (byte*)p;
            _ = munmap(p, length);
        }

        return null;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);
}
