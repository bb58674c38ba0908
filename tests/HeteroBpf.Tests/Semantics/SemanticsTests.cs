using System.Text.RegularExpressions;
using HeteroBpf.Asm;
using HeteroBpf.Devices;
using HeteroBpf.Isa;

namespace HeteroBpf.Tests.Semantics;

/// <summary>The semantics table, run unchanged on every device of <see cref="DeviceRegistry"/>.</summary>
public sealed class SemanticsTests
{
    /// <summary>Every case × every device; ids are strings so that each pair is its own test result.</summary>
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string id in SemanticsCase.All.Keys.Order(StringComparer.Ordinal))
        {
            foreach (var device in DeviceRegistry.All) data.Add(id, device.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CaseGivesItsResult(string caseId, string deviceName)
    {
        var c = SemanticsCase.All[caseId];
        if (c.Skips.TryGetValue(deviceName, out string? reason))
        {
            Assert.Skip($"{deviceName}: {reason}");
        }

        var program = Assembler.Assemble(c.Asm, caseId);
        using var loaded = DeviceRegistry.Get(deviceName).Load(program);
        byte[] memory = (byte[])c.Memory.Clone();
        if (c.Result is { } expected)
        {
            var result = loaded.Execute(memory);
            Assert.True(expected == result.ReturnValue, $"{caseId} on {deviceName}: expected r0 = 0x{expected:x}, got 0x{result.ReturnValue:x}");
        }
        else
        {
            var fault = Assert.Throws<BpfFaultException>(() => loaded.Execute(memory));
            Assert.Matches(new Regex(c.ErrorPattern!), fault.Message);
        }
    }

    [Fact]
    public void TableCoversEveryOpcode()
    {
        var seen = new HashSet<byte>();
        foreach (var c in SemanticsCase.All.Values)
        {
            foreach (var insn in Assembler.Assemble(c.Asm, c.Id)) seen.Add(insn.OpCode);
        }

        var missing = InstructionForms.ValidOpcodes().Where(op => !seen.Contains(op) && !Exempt.ContainsKey(op)).ToList();
        Assert.True(missing.Count == 0, "opcodes with no semantics case: " + string.Join(", ", missing.Select(op => $"0x{op:x2} ({InstructionForms.Of(op).Kind})")));

        // An exemption that is now covered must go: exemptions are asserted as still needed.
        var stale = Exempt.Keys.Where(seen.Contains).ToList();
        Assert.True(stale.Count == 0, "exempt opcodes that now have cases (remove the exemption): " + string.Join(", ", stale.Select(op => $"0x{op:x2}")));
    }

    // Opcodes the table cannot exercise yet, each with its reason.
    private static readonly Dictionary<byte, string> Exempt = new()
    {
    };
}
