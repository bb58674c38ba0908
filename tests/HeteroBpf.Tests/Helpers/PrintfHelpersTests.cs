using System.Buffers.Binary;
using System.Text;
using HeteroBpf.Elf;
using HeteroBpf.Helpers;
using HeteroBpf.KernelOracle;
using HeteroBpf.Offload;
using HeteroBpf.Tests.Kernel;

namespace HeteroBpf.Tests.Helpers;

/// <summary><c>bpf_snprintf</c> and <c>bpf_trace_printk</c>: format rules, the trace log, and the kernel as oracle.</summary>
public sealed class PrintfHelpersTests
{
    private const int OutAt = 48, OutSize = 48, SnprintfRetAt = 96, PrintkRetAt = 104;

    private static unsafe (ulong Result, string Text) Snprintf(string fmt, int outSize, params ulong[] args)
    {
        var registry = new PrintfHelpers(new TraceLog()).AddTo(HelperRegistry.Empty);
        Assert.True(registry.TryGet((int)HelperId.Snprintf, out var helper));
        var fmtBytes = Encoding.Latin1.GetBytes(fmt + "\0");
        var data = new byte[args.Length * 8];
        for (int i = 0; i < args.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i * 8), args[i]);
        var output = new byte[Math.Max(outSize, 1)];
        var str = Encoding.Latin1.GetBytes("hello\0");
        fixed (byte* f = fmtBytes)
        fixed (byte* d = data)
        fixed (byte* o = output)
        fixed (byte* s = str)
        {
            var memory = new MemoryMap();
            memory.Add(fmtBytes, RegionKind.ReadOnlyData, writable: false);
            memory.Add(data, RegionKind.Stack);
            memory.Add(output.AsSpan(0, outSize), RegionKind.Stack);
            memory.Add(str, RegionKind.Stack);
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == 0x5757) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i * 8), (ulong)s); // stands for "a %s argument"
            }

            var call = new HelperCall { R1 = (ulong)o, R2 = (ulong)outSize, R3 = (ulong)f, R4 = (ulong)d, R5 = (ulong)data.Length, Memory = memory };
            ulong result = helper(ref call);
            int nul = Array.IndexOf(output, (byte)0);
            return (result, Encoding.Latin1.GetString(output, 0, nul < 0 ? output.Length : nul));
        }
    }

    [Theory]
    [InlineData("x=%d", new ulong[] { unchecked((ulong)-5) }, "x=-5")]
    [InlineData("%u %x %X", new ulong[] { 0xffff_ffff_ffff_fffe, 255, 255 }, "4294967294 ff FF")]
    [InlineData("%lld %llu %llx", new ulong[] { unchecked((ulong)-5), 1UL << 40, 1UL << 40 }, "-5 1099511627776 10000000000")]
    [InlineData("[%5d][%-5d][%05d][%+d][% d]", new ulong[] { 42, 42, unchecked((ulong)-42), 7, 7 }, "[   42][42   ][-0042][+7][ 7]")]
    [InlineData("%c%c 100%%", new ulong[] { 'o', 'k' }, "ok 100%")]
    [InlineData("<%s>", new ulong[] { 0x5757 }, "<hello>")]
    public void FormatsAsTheKernel(string fmt, ulong[] args, string expected)
    {
        var (result, text) = Snprintf(fmt, 64, args);
        Assert.Equal(expected, text);
        Assert.Equal((ulong)expected.Length + 1, result);
    }

    [Fact]
    public void TruncatesButReportsTheFullLength()
    {
        var (result, text) = Snprintf("%d%d", 4, 12345, 678);
        Assert.Equal("123", text);
        Assert.Equal(9ul, result);
    }

    [Theory]
    [InlineData("%d %d", 1)] // fewer arguments than conversions
    [InlineData("%p", 1)] // %p family not supported here
    [InlineData("%.3d", 1)] // no precision
    [InlineData("%q", 1)] // unknown conversion
    [InlineData("%", 1)] // dangling %
    public void BadFormatsAreEinval(string fmt, int args)
    {
        var (result, _) = Snprintf(fmt, 16, new ulong[args]);
        Assert.Equal(unchecked((ulong)-22L), result);
    }

    [Fact]
    public unsafe void SnprintfNeedsATerminatedFormat()
    {
        var registry = new PrintfHelpers(new TraceLog()).AddTo(HelperRegistry.Empty);
        Assert.True(registry.TryGet((int)HelperId.Snprintf, out var helper));
        var fmt = Encoding.Latin1.GetBytes("abc");
        fixed (byte* f = fmt)
        {
            var memory = new MemoryMap();
            memory.Add(fmt, RegionKind.ReadOnlyData, writable: false);
            var call = new HelperCall { R3 = (ulong)f, Memory = memory };
            Assert.Equal(unchecked((ulong)-22L), helper(ref call));
            call.R3 = 0x10; // not readable at all: a fault, not a result
            ErrorCode? code = null;
            try
            {
                helper(ref call);
            }
            catch (BpfFaultException fault)
            {
                code = fault.Code;
            }

            Assert.Equal(ErrorCode.HelperFault, code);
        }
    }

    [Fact]
    public unsafe void TracePrintkWritesTheLogAndReturnsTheLength()
    {
        var log = new TraceLog();
        var registry = new PrintfHelpers(log).AddTo(HelperRegistry.Empty);
        Assert.True(registry.TryGet((int)HelperId.TracePrintk, out var helper));
        var fmt = Encoding.Latin1.GetBytes("n=%d h=%x\0");
        fixed (byte* f = fmt)
        {
            var memory = new MemoryMap();
            memory.Add(fmt, RegionKind.Stack);
            var call = new HelperCall { R1 = (ulong)f, R2 = (ulong)fmt.Length, R3 = 7, R4 = 255, Memory = memory };
            Assert.Equal(8ul, helper(ref call));
            call.R2 = (ulong)fmt.Length - 1; // no NUL inside fmt_size
            Assert.Equal(unchecked((ulong)-22L), helper(ref call));
        }

        Assert.Equal(["n=7 h=ff"], log.Drain());
        Assert.Empty(log.Drain());
    }

    [Theory]
    [InlineData("helpers-v2.o")]
    [InlineData("helpers-v3.o")]
    [InlineData("helpers-v4.o")]
    public void MatchesTheKernel(string fixture)
    {
        if (KernelBpf.UnavailableReason is { } unavailable) Assert.Skip(unavailable);
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        using var ours = BpfCollection.Load(obj);
        using var kernel = KernelObject.Open(obj);
        int fd = kernel.LoadProgramOrSkip("format");

        var random = new Random(165);
        var map = ours.Map("format_cases");
        int kernelMap = kernel.MapFd("format_cases");
        var key = new byte[4];
        var packet = new byte[64];
        for (int i = 0; i < 200; i++)
        {
            var value = new byte[map.ValueSize];
            for (int a = 0; a < 6; a++)
            {
                ulong arg = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
                if (random.Next(3) == 0) arg = (ulong)random.Next(-100, 100000);
                BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(a * 8), arg);
            }

            value[5 * 8] = (byte)random.Next(0x20, 0x7f); // %c: printable
            Assert.Equal(Errno.Ok, map.Update(key, value, UpdateFlags.Any));
            Assert.Equal(Errno.Ok, KernelBpf.Update(kernelMap, key, value, 0));
            KernelBpf.TestRun(fd, packet);
            ours.Program("format").Run(packet);

            var expected = new byte[map.ValueSize];
            var actual = new byte[map.ValueSize];
            Assert.Equal(Errno.Ok, KernelBpf.Lookup(kernelMap, key, expected));
            Assert.Equal(Errno.Ok, map.Lookup(key, actual));
            Assert.Equal(Encoding.Latin1.GetString(expected, OutAt, OutSize), Encoding.Latin1.GetString(actual, OutAt, OutSize));
            Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(expected.AsSpan(SnprintfRetAt)), BinaryPrimitives.ReadInt64LittleEndian(actual.AsSpan(SnprintfRetAt)));
            Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(expected.AsSpan(PrintkRetAt)), BinaryPrimitives.ReadInt64LittleEndian(actual.AsSpan(PrintkRetAt)));
        }

        Assert.Equal(200, ours.TraceLog.Drain().Count);
    }
}
