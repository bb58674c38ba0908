using HeteroBpf.Elf;
using HeteroBpf.KernelOracle;
using HeteroBpf.Offload;

namespace HeteroBpf.Tests.Xdp;

/// <summary>
/// Every XDP program of every fixture the kernel loads, over the same fixed-seed packets in HeteroBpf and the kernel:
/// identical retval and output bytes for every packet, identical maps afterwards.
/// </summary>
public sealed class FixtureXdpKernelTests
{
    public static TheoryData<string, string, HostEngine> Programs()
    {
        var data = new TheoryData<string, string, HostEngine>();
        foreach (var file in Directory.GetFiles(RepoPaths.Fixtures, "*.o").Order(StringComparer.Ordinal))
        {
            var obj = ObjectFile.Load(file);
            foreach (var p in obj.Programs.Where(p => p.Type == ProgramType.Xdp))
            {
                foreach (var engine in Enum.GetValues<HostEngine>()) data.Add(Path.GetFileName(file), p.Name, engine);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void PacketsAndMapsMatchTheKernel(string fixture, string program, HostEngine engine)
    {
        // all_maps' walk is past the verifier's 1M-instruction budget; finding out again costs the kernel 10 s.
        if (program == "walk") Assert.Skip("the kernel refuses walk: BPF program is too large (processed 1000001 insns)");
        var obj = ObjectFile.Load(Path.Combine(RepoPaths.Fixtures, fixture));
        Kernel.KernelOracleExtensions.SkipUnlessAvailable();
        using (var probe = KernelObject.Open(obj))
        {
            if (!probe.TryLoadProgram(program, out string? refusal)) Assert.Skip($"the kernel refuses {program}: {refusal}");
        }

        XdpOracle oracle;
        try
        {
            oracle = XdpOracle.Load(obj, program, engine: engine);
        }
        catch (HbpfException e)
        {
            Assert.Skip($"HeteroBpf cannot load {fixture} on {engine} yet: {e.Message}");
            throw;
        }

        using (oracle)
        {
            var random = new Random(fixture.GetHashCode(StringComparison.Ordinal) ^ program.Length);
            for (int i = 0; i < 64; i++)
            {
                var packet = new byte[random.Next(14, 200)];
                random.NextBytes(packet);
                if (i % 2 == 0)
                {
                    packet[12] = 0x08; // IPv4 half of the time, so parsers get past the Ethernet header
                    packet[13] = 0x00;
                    if (packet.Length > 15) packet[14] = 0x45;
                }

                oracle.RunBoth(packet, what: $"{fixture} {program} packet {i}");
            }

            oracle.AssertMapsEqual();
        }
    }
}
