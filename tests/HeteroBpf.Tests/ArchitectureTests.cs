using System.Text.RegularExpressions;

namespace HeteroBpf.Tests;

/// <summary>Enforces the layering of STYLE.md: a folder of the library uses only lower levels, never a peer.</summary>
public sealed partial class ArchitectureTests
{
    // Rank per namespace below HeteroBpf; equal ranks are peers and may not use each other.
    // Capture knows nothing of BPF (rank -1: it may use no HeteroBpf namespace at all, and any layer may use it).
    private static readonly Dictionary<string, int> Rank = new()
    {
        ["Isa"] = 0,
        ["Asm"] = 1,
        ["Btf"] = 1,
        [""] = 2,
        ["Elf"] = 3,
        ["Maps"] = 3,
        ["Helpers"] = 4,
        ["Verifier"] = 5,
        ["Interpreter"] = 6,
        ["Jit.Cil"] = 6,
        ["Jit.Arm64"] = 6,
        ["Offload"] = 7,
        ["Devices"] = 8,
        ["Devices.Unicorn"] = 7,
        ["Xdp"] = 9,
        ["Capture"] = -1,
    };

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?HeteroBpf(?:\.(?<ns>[A-Za-z0-9_.]+))?\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^\s*namespace\s+HeteroBpf(?:\.(?<ns>[A-Za-z0-9_.]+))?\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [Fact]
    public void EveryFolderUsesOnlyLowerLayers()
    {
        string src = Path.Combine(RepoPaths.Root, "src", "HeteroBpf");
        var files = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);

        var violations = new List<string>();
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            var decl = NamespaceDeclaration().Match(text);
            Assert.True(decl.Success, $"{file}: no HeteroBpf namespace declaration");
            string ns = decl.Groups["ns"].Value;
            Assert.True(Rank.TryGetValue(ns, out int own), $"{file}: namespace HeteroBpf.{ns} has no layer; add it to ArchitectureTests.Rank and ARCHITECTURE.md");

            foreach (Match u in UsingDirective().Matches(text))
            {
                string used = u.Groups["ns"].Value;
                if (used == ns) continue;
                bool allowed = Rank.TryGetValue(used, out int other) && own != -1 && (other == -1 || other < own);
                if (!allowed) violations.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}: HeteroBpf.{ns} uses HeteroBpf.{used}");
            }
        }

        Assert.True(violations.Count == 0, "layering violations:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void FoldersAreNamespaces()
    {
        string src = Path.Combine(RepoPaths.Root, "src", "HeteroBpf");
        foreach (string file in Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            string folder = Path.GetRelativePath(src, Path.GetDirectoryName(file)!).Replace(Path.DirectorySeparatorChar, '.');
            string expected = folder == "." ? "" : folder;
            var decl = NamespaceDeclaration().Match(File.ReadAllText(file));
            Assert.True(decl.Groups["ns"].Value == expected, $"{file}: namespace HeteroBpf.{decl.Groups["ns"].Value} does not match its folder ({expected})");
        }
    }
}
