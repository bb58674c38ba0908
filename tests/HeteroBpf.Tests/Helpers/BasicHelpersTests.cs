using HeteroBpf.Helpers;
using HeteroBpf.Maps;

namespace HeteroBpf.Tests.Helpers;

/// <summary>The helpers of <see cref="HelperRegistry.Basic"/> that need no kernel to compare with: clocks, CPU id, spin locks.</summary>
public sealed class BasicHelpersTests
{
    private static ulong Call(HelperId id, ulong r1 = 0, MemoryMap? memory = null)
    {
        Assert.True(HelperRegistry.Basic.TryGet((int)id, out var helper), $"{id} missing from Basic");
        var call = new HelperCall { R1 = r1, Memory = memory ?? new MemoryMap() };
        return helper(ref call);
    }

    [Fact]
    public void ClocksDoNotGoBackwards()
    {
        ulong boot = Call(HelperId.KtimeGetBootNs), jiffies = Call(HelperId.Jiffies64), ns = Call(HelperId.KtimeGetNs);
        Thread.Sleep(20);
        Assert.True(Call(HelperId.KtimeGetBootNs) >= boot + 10_000_000);
        Assert.True(Call(HelperId.Jiffies64) >= jiffies + 10);
        Assert.True(Call(HelperId.KtimeGetNs) > ns);
        // ktime_get_boot_ns counts from boot, like the kernel's (at least the machine's uptime so far).
        Assert.True(boot / 1_000_000 >= (ulong)Environment.TickCount64 - 1000);
    }

    [Fact]
    public void CpuIdIndexesPerCpuValues() => Assert.InRange(Call(HelperId.GetSmpProcessorId), 0ul, (ulong)BpfMap.PossibleCpus - 1);

    [Fact]
    public unsafe void SpinLockExcludesOtherThreads()
    {
        // 16 native bytes: the lock word (low 4 bytes), then a counter updated non-atomically under the lock.
        byte* block = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(16);
        try
        {
            ulong start = (ulong)block;
            const int threads = 4, rounds = 20_000;
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => Hammer(start, rounds))).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
            Assert.Equal(threads * rounds, *(long*)(block + 8));
            Assert.Equal(0, *(int*)block);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(block);
        }
    }

    private static unsafe void Hammer(ulong start, int rounds)
    {
        var memory = new MemoryMap();
        memory.Add(new MemoryRegion(start, 16, RegionKind.MapValue, true));
        long* counter = (long*)(start + 8);
        for (int i = 0; i < rounds; i++)
        {
            Call(HelperId.SpinLock, start, memory);
            long seen = *counter;
            Thread.SpinWait(1);
            *counter = seen + 1;
            Call(HelperId.SpinUnlock, start, memory);
        }
    }

    [Fact]
    public unsafe void SpinLockChecksItsPointer()
    {
        byte* block = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(8);
        try
        {
            ulong start = (ulong)block;
            var readOnly = new MemoryMap();
            readOnly.Add(new MemoryRegion(start, 8, RegionKind.MapValue, false));
            Assert.Equal(ErrorCode.HelperFault, Assert.Throws<BpfFaultException>(() => Call(HelperId.SpinLock, start, readOnly)).Code);
            var writable = new MemoryMap();
            writable.Add(new MemoryRegion(start, 8, RegionKind.MapValue, true));
            Assert.Equal(ErrorCode.HelperFault, Assert.Throws<BpfFaultException>(() => Call(HelperId.SpinLock, start + 2, writable)).Code);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(block);
        }
    }
}
