using System.Text.RegularExpressions;
using HeteroBpf.Helpers;

namespace HeteroBpf.Tests.Interpreter;

/// <summary>
/// <see cref="HelperId"/> is generated from the running kernel's BTF; the UAPI header of Debian's linux-libc-dev is an
/// independent source for the same numbers (its <c>__BPF_FUNC_MAPPER</c> lists the helpers in id order).
/// </summary>
public sealed partial class HelperIdTests
{
    private const string Header = "/usr/include/linux/bpf.h";

    [Fact]
    public void EveryHelperInTheUapiHeaderHasTheSameId()
    {
        Assert.True(File.Exists(Header), $"{Header} is missing: apt-get install linux-libc-dev (test.sh installs libbpf-dev, which needs it)");
        string text = File.ReadAllText(Header);
        int mapper = text.IndexOf("#define __BPF_FUNC_MAPPER", StringComparison.Ordinal);
        Assert.True(mapper >= 0, "__BPF_FUNC_MAPPER not found in " + Header);
        int end = text.IndexOf("\n\n", mapper, StringComparison.Ordinal);
        var names = FnEntry().Matches(text[mapper..end]).Select(m => m.Groups[1].Value).ToList();
        Assert.True(names.Count > 200, $"expected the full helper list, found {names.Count}");

        var byKey = Enum.GetValues<HelperId>().ToDictionary(id => id.ToString().ToLowerInvariant(), id => (int)id);
        for (int id = 0; id < names.Count; id++)
        {
            string key = names[id].Replace("_", "", StringComparison.Ordinal);
            Assert.True(byKey.TryGetValue(key, out int ours), $"BPF_FUNC_{names[id]} ({id}) has no HelperId");
            Assert.Equal(id, ours);
        }
    }

    [GeneratedRegex(@"FN\((\w+)")]
    private static partial Regex FnEntry();
}
