using System.Runtime.InteropServices;
using HeteroBpf.Offload;

namespace HeteroBpf.Devices;

/// <summary>
/// The <c>arm64-nic</c>'s device memory: one native block below 4 GiB (so the 32-bit <c>xdp_md</c> fields hold real
/// addresses, as a NIC's own address space would), mapped whole into every emulated core at its own address. It holds
/// the RX descriptor ring's packet buffers: per slot a 4096-byte frame (256 bytes of headroom, the kernel's test-run
/// geometry) on a page of its own, then a page whose start is the frame's context (<see cref="SimContext"/>: the UAPI
/// <c>xdp_md</c>, then the firmware's own fields) followed by the slot's completion entry. Code, maps and stacks are
/// the executors' and maps' own native blocks, mapped into each core the same identity way.
/// </summary>
/// <remarks>
/// Layout: page 0 the firmware (<see cref="Arm64NicFirmware"/>, mapped read/execute), then one ring page per core
/// (RX descriptors at 0, the completion ring at <see cref="CompletionOffset"/>), then the slots.
/// </remarks>
internal sealed unsafe partial class Arm64NicMemory : DeviceDomain
{
    /// <summary>Bytes per slot: the frame page and the context/completion page, so no two slots share a page.</summary>
    public const int SlotSize = 2 * Page;

    /// <summary>Offset of a slot's context from the slot's start.</summary>
    public const int ContextOffset = Page;

    /// <summary>Offset of the completion ring in a core's ring page (<see cref="Arm64NicFirmware.CompletionOffset"/>).</summary>
    public const int CompletionOffset = Arm64NicFirmware.CompletionOffset;

    /// <summary>Ring pages (one per core) after the firmware page.</summary>
    public const int RingPages = Arm64NicDevice.MaxCores;

    /// <summary>Packets one ring page holds (its descriptors and completions).</summary>
    public const int RingEntries = CompletionOffset / Arm64NicFirmware.DescriptorSize;

    private const int SlotsOffset = (1 + RingPages) * Page;
    private const int Page = 4096;
    private const int PROT_READ = 1, PROT_WRITE = 2;
    private const int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_32BIT = 0x40, MAP_FIXED_NOREPLACE = 0x100000;
    private static readonly nint MapFailed = -1;

    private readonly Stack<int> _free = new();
    private byte* _block;

    public Arm64NicMemory(OffloadDevice device, int slots)
        : base(device)
    {
        Slots = slots;
        Length = SlotsOffset + ((ulong)slots * SlotSize);
        for (int i = slots - 1; i >= 0; i--) _free.Push(i);
    }

    /// <summary>Slots (packet buffers) in all.</summary>
    public int Slots { get; }

    /// <summary>Bytes of device memory.</summary>
    public ulong Length { get; }

    /// <summary>The device address of the block (mapped at the first use).</summary>
    /// <exception cref="HbpfException">No room below 4 GiB (HB9110).</exception>
    public ulong Base
    {
        get
        {
            lock (_free)
            {
                EnsureMapped();
                return (ulong)_block;
            }
        }
    }

    /// <summary>Bytes of firmware at the start of the block (mapped read/execute into every core).</summary>
    public static ulong FirmwareBytes => Page;

    /// <summary>The ring page of core <paramref name="core"/> (descriptors at 0, completions at <see cref="CompletionOffset"/>).</summary>
    public byte* RingOf(int core) => _block + ((1 + core) * Page);

    /// <summary>A slot for one run (or a batch), or null when every slot is busy; give it back with <see cref="Return"/>.</summary>
    public byte* Rent()
    {
        lock (_free)
        {
            EnsureMapped();
            return _free.Count == 0 ? null : _block + SlotsOffset + ((long)_free.Pop() * SlotSize);
        }
    }

    /// <summary>Gives a slot back.</summary>
    public void Return(byte* slot)
    {
        lock (_free)
        {
            _free.Push((int)((slot - _block - SlotsOffset) / SlotSize));
        }
    }

    public override void Dispose()
    {
        lock (_free)
        {
            if (_block is not null) _ = munmap((nint)_block, (nuint)Length);
            _block = null;
        }
    }

    private void EnsureMapped()
    {
        if (_block is not null) return;
        _block = Map((nuint)Length);
        if (_block is null) throw new HbpfException(ErrorCode.DeviceMemoryUnavailable, $"{Device.Name}: cannot map {Length} bytes of device memory below 4 GiB (the NIC's 32-bit address space)");
        // The host writes the firmware into device memory as DMA, once.
        // Code and data never share a page: the firmware page is mapped read/execute and nothing writes it after this.
        Arm64NicFirmware.Emit().CopyTo(new Span<uint>(_block, Page / 4));
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
