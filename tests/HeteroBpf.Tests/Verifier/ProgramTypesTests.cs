using System.Text.RegularExpressions;
using HeteroBpf.Helpers;
using HeteroBpf.KernelOracle;
using HeteroBpf.Verifier;

namespace HeteroBpf.Tests.Verifier;

/// <summary>
/// <see cref="ProgramTypes"/> as a whole: which types and attach types it answers for and how it refuses the rest
/// (and that the kernel refuses those loads too), packet rights against the kernel, and the verifier catalogue's
/// helper calls all having prototypes.
/// </summary>
public sealed partial class ProgramTypesTests
{
    [Theory]
    [InlineData(ProgramType.Tracing)]
    [InlineData(ProgramType.Lsm)]
    [InlineData(ProgramType.StructOps)]
    [InlineData(ProgramType.Ext)]
    public void BtfAttachedTypesAreRefusedPlainly(ProgramType type)
    {
        var e = Assert.Throws<HbpfException>(() => ProgramTypes.Get(type));
        Assert.Equal(ErrorCode.ProgramTypeNeedsAttachBtf, e.Code);
        Assert.Contains("not supported", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ProgramType.Unspec)]
    [InlineData((ProgramType)33)]
    [InlineData((ProgramType)1000)]
    public void UnknownTypesAreRefused(ProgramType type)
    {
        var e = Assert.Throws<HbpfException>(() => ProgramTypes.Get(type));
        Assert.Equal(ErrorCode.ProgramTypeUnknown, e.Code);
    }

    /// <summary>Attach types bpf_prog_load_check_attach refuses: ours says so, and the kernel refuses the load.</summary>
    public static TheoryData<ProgramType, AttachType?> BadAttachTypes() => new()
    {
        { ProgramType.CgroupSockAddr, null },
        { ProgramType.CgroupSockAddr, AttachType.CgroupInetEgress },
        { ProgramType.CgroupSkb, AttachType.CgroupInetSockCreate },
        { ProgramType.CgroupSock, AttachType.CgroupInet4Connect },
        { ProgramType.CgroupSockopt, null },
        { ProgramType.SkLookup, null },
        { ProgramType.Netfilter, null },
    };

    [Theory]
    [MemberData(nameof(BadAttachTypes))]
    public void BadAttachTypesAreRefusedAsByTheKernel(ProgramType type, AttachType? attach)
    {
        var e = Assert.Throws<HbpfException>(() => ProgramTypes.Get(type, attach));
        Assert.Equal(ErrorCode.ProgramTypeBadAttach, e.Code);
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var verdict = ProgramTypesOracle.LoadHere(new ProgramTypeCase("bad", type, attach), [ProgramTypesOracle.MovImm(0, 0), ProgramTypesOracle.Exit()]);
        Assert.False(verdict.Accepted, $"the kernel loads {type} with attach type {attach?.ToString() ?? "none"}");
    }

    [Fact]
    public void EveryNamedTypeAnswersOrRefusesWithACode()
    {
        foreach (var type in Enum.GetValues<ProgramType>())
        {
            foreach (var c in ProgramTypesOracle.Cases.Where(c => c.Type == type).DefaultIfEmpty(new ProgramTypeCase(type.ToString(), type)))
            {
                try
                {
                    var info = ProgramTypes.Get(c.Type, c.Attach);
                    Assert.Equal(type, info.Type);
                    Assert.Matches("^[a-z0-9_]+$", info.Name);
                    Assert.True(info.ContextSize > 0);
                    Assert.Same(info, ProgramTypes.Get(c.Type, c.Attach));
                    Assert.Equal("invalid bpf_context access off=-4 size=4", info.CheckContextAccess(-4, 4, false, Privilege.Root, out _));
                    Assert.NotNull(info.CheckContextAccess(info.ContextSize, 4, false, Privilege.Root, out _));
                }
                catch (HbpfException e)
                {
                    Assert.True(e.Code is ErrorCode.ProgramTypeNeedsAttachBtf or ErrorCode.ProgramTypeUnknown or ErrorCode.ProgramTypeBadAttach, $"{c}: {e.Code}");
                }
            }
        }
    }

    [Fact]
    public void LoadRefusalAtCapBpfMatchesKernel()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var mismatches = new List<string>();
        foreach (var c in ProgramTypesOracle.Cases.Where(c => c.Type != ProgramType.LircMode2))
        {
            int exit = ProgramTypesOracle.GoodReturn(ProgramTypes.Get(c.Type, c.Attach));
            var kernel = ProgramTypesOracle.RunAt(Privilege.Bpf, () => ProgramTypesOracle.LoadHere(c, [ProgramTypesOracle.MovImm(0, exit), ProgramTypesOracle.Exit()]));
            string? ours = ProgramTypes.LoadRefusal(c.Type, Privilege.Bpf);
            if (kernel.Accepted != (ours is null)) mismatches.Add($"{c}: kernel {(kernel.Accepted ? "loads" : "refuses (" + kernel.Message + ")")}, ours {ours ?? "loads"}");
            if (!kernel.Accepted && !kernel.Message.StartsWith("errno 1:", StringComparison.Ordinal)) mismatches.Add($"{c}: the kernel refuses with {kernel.Message}, not EPERM");
            Assert.Null(ProgramTypes.LoadRefusal(c.Type, Privilege.Root));
        }

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    [Theory]
    [InlineData("socket")]
    [InlineData("kprobe/do_sys_open")]
    [InlineData("kprobe.multi/do_*")]
    [InlineData("uprobe.s/lib:f")]
    [InlineData("tc/ingress")]
    [InlineData("tcx/egress")]
    [InlineData("netkit/peer")]
    [InlineData("action")]
    [InlineData("tracepoint/syscalls/sys_enter_open")]
    [InlineData("raw_tp/sched_switch")]
    [InlineData("raw_tp.w/bpf_test_finish")]
    [InlineData("xdp")]
    [InlineData("xdp.frags/devmap")]
    [InlineData("xdp/cpumap")]
    [InlineData("perf_event")]
    [InlineData("cgroup_skb/egress")]
    [InlineData("cgroup/skb")]
    [InlineData("cgroup/sock")]
    [InlineData("cgroup/post_bind6")]
    [InlineData("cgroup/connect_unix")]
    [InlineData("cgroup/getsockname4")]
    [InlineData("cgroup/sysctl")]
    [InlineData("cgroup/getsockopt")]
    [InlineData("cgroup/dev")]
    [InlineData("lwt_xmit")]
    [InlineData("lwt_seg6local")]
    [InlineData("sockops")]
    [InlineData("sk_skb/stream_parser")]
    [InlineData("sk_msg")]
    [InlineData("lirc_mode2")]
    [InlineData("sk_reuseport/migrate")]
    [InlineData("flow_dissector")]
    [InlineData("sk_lookup")]
    [InlineData("syscall")]
    [InlineData("netfilter")]
    public void EverySectionLibbpfNamesHasTables(string section)
    {
        var info = HeteroBpf.Elf.ProgramSections.Classify(section);
        Assert.True(info.Known, section);
        var tables = ProgramTypes.Get(info.Type, info.AttachType);
        Assert.Equal(info.Type, tables.Type);
    }

    [Theory]
    [InlineData("fentry/do_unlinkat")]
    [InlineData("tp_btf/sched_switch")]
    [InlineData("lsm/file_open")]
    [InlineData("struct_ops/tcp_init")]
    [InlineData("freplace/f")]
    [InlineData("iter/task")]
    public void BtfSectionsAreRefusedPlainly(string section)
    {
        var info = HeteroBpf.Elf.ProgramSections.Classify(section);
        var e = Assert.Throws<HbpfException>(() => ProgramTypes.Get(info.Type, info.AttachType));
        Assert.Equal(ErrorCode.ProgramTypeNeedsAttachBtf, e.Code);
    }

    [Fact]
    public void XdpIsTheKernelsXdpMd()
    {
        var xdp = ProgramTypes.Get(ProgramType.Xdp);
        Assert.Equal(24, xdp.ContextSize);
        Assert.Null(xdp.ReturnRange); // check_return_code has no XDP case: unknown actions are a run-time drop
        Assert.True(xdp.CanReadPacket && xdp.CanWritePacket);
        Assert.Null(xdp.CheckContextAccess(0, 4, false, Privilege.Root, out var data));
        Assert.Equal(RegisterType.PtrToPacket, data);
        Assert.Null(xdp.CheckContextAccess(4, 4, false, Privilege.Root, out var end));
        Assert.Equal(RegisterType.PtrToPacketEnd, end);
        Assert.Null(xdp.CheckContextAccess(8, 4, false, Privilege.Root, out var meta));
        Assert.Equal(RegisterType.PtrToPacketMeta, meta);
        Assert.Equal("invalid bpf_context access off=0 size=4", xdp.CheckContextAccess(0, 4, true, Privilege.Root, out _));
        Assert.Equal("invalid bpf_context access off=20 size=4", xdp.CheckContextAccess(20, 4, false, Privilege.Root, out _));
        Assert.Null(ProgramTypes.Get(ProgramType.Xdp, AttachType.XdpDevmap).CheckContextAccess(20, 4, false, Privilege.Root, out _));
        Assert.NotNull(xdp.GetHelper(HelperId.XdpAdjustHead, Privilege.Bpf));
        Assert.Null(xdp.GetHelper(HelperId.SkbLoadBytes, Privilege.Root));
        Assert.NotNull(xdp.GetHelper(HelperId.TracePrintk, Privilege.Root));
        Assert.Null(xdp.GetHelper(HelperId.TracePrintk, Privilege.Bpf)); // needs CAP_PERFMON
    }

    [Fact]
    public void SkBuffSkIsASocketCommonOrNull()
    {
        var tc = ProgramTypes.Get(ProgramType.SchedCls);
        Assert.Null(tc.CheckContextAccess(168, 8, false, Privilege.Root, out var sk));
        Assert.Equal(RegisterType.PtrToSockCommonOrNull, sk);
        Assert.NotNull(tc.CheckContextAccess(168, 8, true, Privilege.Root, out _));
        Assert.Null(tc.CheckContextAccess(8, 4, true, Privilege.Root, out _)); // mark is writable by tc
        Assert.NotNull(ProgramTypes.Get(ProgramType.SocketFilter).CheckContextAccess(8, 4, true, Privilege.Root, out _));
    }

    [GeneratedRegex(@"^\s*call (\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex HelperCall();

    [Fact]
    public void EveryCatalogueHelperCallTheTypeAllowsHasAPrototype()
    {
        int calls = 0;
        foreach (var entry in CatalogueEntries.All.Values)
        {
            var privilege = entry.Privilege == CataloguePrivilege.Root ? Privilege.Root : Privilege.Bpf;
            var info = ProgramTypes.Get(entry.Type, entry.Attach);
            foreach (Match m in HelperCall().Matches(entry.Text))
            {
                var id = (HelperId)int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                calls++;
                if (ProgramTypes.IsHelperAllowed(entry.Type, entry.Attach, id, privilege))
                    Assert.True(info.GetHelper(id, privilege) is not null, $"{entry.Id}: {info.Name} may call {id} at {privilege}, and the verifier knows no prototype for it");
                else
                    Assert.Null(info.GetHelper(id, privilege));
            }
        }

        Assert.True(calls > 100, $"{calls} helper calls found in the catalogue");
    }

    /// <summary>
    /// <c>may_access_direct_pkt_data</c>: for every type whose context yields packet pointers, a one-byte load and a
    /// one-byte store after the bounds check; the kernel accepts them exactly as CanReadPacket and CanWritePacket say.
    /// </summary>
    [Fact]
    public void PacketRightsMatchKernel()
    {
        if (KernelBpf.UnavailableReason is { } why) Assert.Skip(why);
        var mismatches = new List<string>();
        int compared = 0;
        foreach (var c in ProgramTypesOracle.Cases)
        {
            var info = ProgramTypes.Get(c.Type, c.Attach);
            if (!TryFindPacketFields(info, out int data, out int end, out int size))
            {
                Assert.False(info.CanWritePacket, $"{c}: writes the packet but has no packet pointer");
                continue;
            }

            int exit = ProgramTypesOracle.GoodReturn(info);
            if (!ProgramTypesOracle.LoadHere(c, [ProgramTypesOracle.MovImm(0, exit), ProgramTypesOracle.Exit()]).Accepted) continue;
            foreach (bool write in (bool[])[false, true])
            {
                ulong[] program =
                [
                    ProgramTypesOracle.Load(size, 2, 1, (short)data),
                    ProgramTypesOracle.Load(size, 3, 1, (short)end),
                    ProgramTypesOracle.Insn(0xbf, 4, 2), // r4 = r2
                    ProgramTypesOracle.Insn(0x07, 4, 0, 0, 8), // r4 += 8
                    ProgramTypesOracle.Insn(0x2d, 4, 3, 1), // if r4 > r3 goto +1
                    write ? ProgramTypesOracle.Insn(0x72, 2, 0, 0, 0) : ProgramTypesOracle.Load(1, 0, 2, 0),
                    ProgramTypesOracle.MovImm(0, exit),
                    ProgramTypesOracle.Exit(),
                ];
                var kernel = ProgramTypesOracle.LoadHere(c, program);
                bool ours = write ? info.CanWritePacket : info.CanReadPacket;
                compared++;
                if (kernel.Accepted != ours) mismatches.Add($"{c} packet {(write ? "store" : "load")}: kernel {(kernel.Accepted ? "accepts" : "refuses (" + kernel.Message + ")")}, ours {(ours ? "accepts" : "refuses")}");
            }
        }

        Assert.True(compared >= 20, $"{compared} packet accesses compared");
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    private static bool TryFindPacketFields(ProgramTypeInfo info, out int data, out int end, out int size)
    {
        data = end = -1;
        size = 0;
        foreach (int s in (int[])[4, 8])
        {
            for (int off = 0; off + s <= Math.Min(info.ContextSize, 256); off += s)
            {
                if (info.CheckContextAccess(off, s, false, Privilege.Root, out var loaded) is not null) continue;
                if (loaded == RegisterType.PtrToPacket) (data, size) = (off, s);
                if (loaded == RegisterType.PtrToPacketEnd) end = off;
            }

            if (data >= 0 && end >= 0) return true;
        }

        return false;
    }
}
