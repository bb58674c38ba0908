using System.Diagnostics;
using System.Text.Json;
using HeteroBpf.Devices;
using HeteroBpf.Devices.Unicorn;
using HeteroBpf.Tests.Cli;

namespace HeteroBpf.Tests.Arm64Nic;

/// <summary>
/// The CLI on <c>arm64-nic</c>: <c>run</c> and <c>test-run</c> through the device (with <c>--cores</c>) equal the host,
/// and <c>prog dump jited --device arm64-nic</c> shows A64 code per eBPF slot with its C line, decoded by LLVM and in
/// agreement with binutils' objdump.
/// </summary>
public sealed class Arm64NicCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public Arm64NicCommandTests()
    {
        if (!Arm64Core.IsAvailable(out string? reason)) Assert.Skip(reason);
    }

    public void Dispose() => _dir.Dispose();

    private static string Example(string name, string file) => Path.Combine(RepoPaths.Root, "examples", name, file);

    private static List<string> Maps(JsonElement root) =>
        [.. root.GetProperty("maps").EnumerateObject().SelectMany(m => m.Value.EnumerateObject().Select(e => $"{m.Name}[{e.Name}]={e.Value.GetRawText()}")).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData("firewall", "1")]
    [InlineData("lb", "2")]
    [InlineData("reflector", "2")]
    public void RunOnTheNicCountsAndWritesWhatTheHostDoes(string name, string cores)
    {
        string[] Args(string device, string outDir, bool nic)
        {
            var args = new List<string> { "run", Example(name, name + ".o"), "--pcap", Example(name, name + ".pcap"), "--device", device, "--json", "--out-dir", outDir };
            if (nic) args.AddRange(["--cores", cores]);
            if (File.Exists(Example(name, "map-set.json"))) args.AddRange(["--map-set", Example(name, "map-set.json")]);
            return [.. args];
        }

        string hostDir = Path.Combine(_dir.Path, "host"), nicDir = Path.Combine(_dir.Path, "nic");
        var host = Hbpf.Run(Args("host-interp", hostDir, false));
        var nic = Hbpf.Run(Args("arm64-nic", nicDir, true));
        Assert.True(host.ExitCode == 0, host.Error);
        Assert.True(nic.ExitCode == 0, nic.Error);
        using var h = JsonDocument.Parse(host.Out);
        using var n = JsonDocument.Parse(nic.Out);
        Assert.Equal("arm64-nic", n.RootElement.GetProperty("device").GetString());
        Assert.Equal(h.RootElement.GetProperty("packets").GetInt64(), n.RootElement.GetProperty("packets").GetInt64());
        Assert.Equal(h.RootElement.GetProperty("actions").GetRawText(), n.RootElement.GetProperty("actions").GetRawText());
        Assert.Equal(Maps(h.RootElement), Maps(n.RootElement));
        foreach (var file in Directory.GetFiles(hostDir)) Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(nicDir, Path.GetFileName(file))));
        Assert.Equal(Directory.GetFiles(hostDir).Length, Directory.GetFiles(nicDir).Length);
    }

    /// <summary>
    /// <c>run --device arm64-nic</c> goes through the NIC's receive path (batches through the firmware's RX loop), and
    /// its whole report is the host's: every example, every field but timing and the device's name.
    /// </summary>
    [Theory]
    [InlineData("counter")]
    [InlineData("firewall")]
    [InlineData("reflector")]
    [InlineData("ipip")]
    [InlineData("dns_truncate")]
    [InlineData("lb")]
    public void RunOnTheNicTakesTheReceivePathAndReportsAsTheHost(string name)
    {
        string[] Args(string device, bool json)
        {
            var args = new List<string> { "run", Example(name, name + ".o"), "--pcap", Example(name, name + ".pcap"), "--device", device };
            if (json) args.Add("--json");
            if (File.Exists(Example(name, "map-set.json"))) args.AddRange(["--map-set", Example(name, "map-set.json")]);
            return [.. args];
        }

        var host = Hbpf.Run(Args("host-interp", true));
        var nic = Hbpf.Run(Args("arm64-nic", true));
        Assert.True(host.ExitCode == 0, host.Error);
        Assert.True(nic.ExitCode == 0, nic.Error);
        using var h = JsonDocument.Parse(host.Out);
        using var n = JsonDocument.Parse(nic.Out);
        foreach (string field in new[] { "program", "packets", "bytes", "actions", "redirect_targets", "aborted", "not_run", "truncation" })
        {
            Assert.Equal(h.RootElement.GetProperty(field).GetRawText(), n.RootElement.GetProperty(field).GetRawText());
        }

        // One core acts as CPU 0, as the host's one queue does: per-CPU maps included (hash maps as sets: each map
        // walks in its own seed's order).
        Assert.Equal(Maps(h.RootElement), Maps(n.RootElement));
        var text = Hbpf.Run(Args("arm64-nic", false));
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("device arm64-nic (through the device's receive path, in batches)", text.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>--cores</c> belongs to its own command: tests run commands in-process and in parallel, so a count that
    /// changed the registry's shared NIC would spread one command's packets over another command's cores.
    /// </summary>
    [Fact]
    public void CoresNeverChangeTheRegistrysSharedNic()
    {
        var shared = (Arm64NicDevice)DeviceRegistry.Get("arm64-nic");
        int before = shared.Cores;
        var run = Hbpf.Run("test-run", Example("counter", "counter.o"), "--device", "arm64-nic", "--cores", "3", "--data", "00112233445566778899aabb0800");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(before, shared.Cores);
        Assert.Same(shared, DeviceRegistry.Get("arm64-nic"));
    }

    [Fact]
    public void CoresAreRefusedOutOfRangeAndOnOtherDevices()
    {
        var bad = Hbpf.Run("test-run", Example("counter", "counter.o"), "--device", "arm64-nic", "--cores", "9", "--data", "00112233445566778899aabb0800");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("HB9140", bad.Error, StringComparison.Ordinal);
        var host = Hbpf.Run("test-run", Example("counter", "counter.o"), "--device", "host-interp", "--cores", "2", "--data", "00112233445566778899aabb0800");
        Assert.NotEqual(0, host.ExitCode);
        Assert.Contains("--cores applies to arm64-nic only", host.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgDumpJitedShowsA64PerSlotWithTheCLineDecodedByLlvmAsObjdumpDecodesIt()
    {
        var run = Hbpf.Run("prog", "dump", "jited", Example("counter", "counter.o"), "--device", "arm64-nic");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("xdp_count_protocols: section xdp, ", run.Out, StringComparison.Ordinal);
        Assert.Contains("disassembled by LLVM (libLLVM-19)", run.Out, StringComparison.Ordinal);
        Assert.Contains("; counter.c:78: void *data_end = (void *)(long)ctx->data_end;", run.Out, StringComparison.Ordinal);
        Assert.Contains(";    0: r6 = *(u32 *)(r1 + 0x4)", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("<unknown>", run.Out, StringComparison.Ordinal);

        // Every word's mnemonic as binutils decodes the same bytes.
        var lines = run.Out.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Contains(":  ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count > 100, $"only {lines.Count} code lines");
        var words = lines.Select(l => Convert.ToUInt32(l.Split(':', 2)[1].Trim().Split(' ')[0], 16)).ToArray();
        string bin = Path.Combine(_dir.Path, "code.bin");
        File.WriteAllBytes(bin, words.SelectMany(BitConverter.GetBytes).ToArray());
        var psi = new ProcessStartInfo("aarch64-linux-gnu-objdump", ["-D", "-b", "binary", "-m", "aarch64", bin]) { RedirectStandardOutput = true, UseShellExecute = false };
        Process objdump;
        try
        {
            objdump = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("aarch64-linux-gnu-objdump is not installed (binutils-aarch64-linux-gnu)");
            return;
        }

        var theirs = objdump.StandardOutput.ReadToEnd().Split('\n')
            .Select(l => l.Split('\t'))
            .Where(f => f.Length >= 3 && f[0].TrimEnd().EndsWith(':') && f[1].Trim().Length == 8)
            .Select(f => f[2].Trim())
            .ToList();
        objdump.WaitForExit();
        Assert.Equal(words.Length, theirs.Count);
        for (int i = 0; i < words.Length; i++)
        {
            string ours = lines[i].Split("  ", StringSplitOptions.RemoveEmptyEntries)[2].Trim();
            string Mnemonic(string s) => s.Split(' ')[0].Split('.')[0];
            Assert.True(Mnemonic(ours) == Mnemonic(theirs[i]) || (Mnemonic(ours), Mnemonic(theirs[i])) is ("mov", "orr") or ("mov", "add") or ("mov", "movz"), $"word {i} {words[i]:x8}: LLVM '{ours}', objdump '{theirs[i]}'");
        }
    }
}
