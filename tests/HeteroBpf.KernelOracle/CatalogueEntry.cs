using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using HeteroBpf.Asm;
using HeteroBpf.Isa;

namespace HeteroBpf.KernelOracle;

/// <summary>What an entry of the verifier catalogue says the verifier must do with it.</summary>
public enum CatalogueVerdict
{
    /// <summary>The program is safe: the verifier accepts it.</summary>
    Accept,

    /// <summary>The program breaks a rule: the verifier refuses it.</summary>
    Refuse,
}

/// <summary>The capabilities a catalogue entry is loaded with.</summary>
public enum CataloguePrivilege
{
    /// <summary>Full root (CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF): pointer leaks, pointer comparisons and uninitialised stack reads allowed.</summary>
    Root,

    /// <summary>CAP_BPF (and CAP_NET_ADMIN) without CAP_PERFMON and CAP_SYS_ADMIN: no pointer leaks, Spectre v1 checks on.</summary>
    Bpf,
}

/// <summary>A map an entry needs: map <c>lddw</c>s (pseudo source 1 or 2) with immediate i name the i-th one.</summary>
/// <param name="Type">The map type.</param>
/// <param name="KeySize">Key size in bytes.</param>
/// <param name="ValueSize">Value size in bytes.</param>
/// <param name="MaxEntries">Maximum number of entries.</param>
/// <param name="Flags">Map flags (<c>flags=N</c>).</param>
/// <param name="SpinLock">True for <c>lock=0</c>: the value is <c>struct { struct bpf_spin_lock lock; int data; }</c>, described by BTF.</param>
public sealed record CatalogueMap(MapType Type, uint KeySize, uint ValueSize, uint MaxEntries, uint Flags, bool SpinLock);

/// <summary>
/// One program of the verifier catalogue (<c>tests/data/verifier/</c>, format in its README.md): assembler text whose
/// leading <c>;</c> comment lines give the rule it breaks (or the trick it uses), the expected verdict and message, the
/// program type, privilege, program flags and maps.
/// </summary>
public sealed partial record CatalogueEntry
{
    /// <summary><c>BPF_F_STRICT_ALIGNMENT</c>.</summary>
    public const uint FlagStrictAlignment = 1u << 0;

    /// <summary>The entry's name: its folder and file name without extension, e.g. <c>unsafe/001-uninit-register</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The file it was read from.</summary>
    public required string File { get; init; }

    /// <summary>The kernel rule, in words (<c>; rule:</c>).</summary>
    public required string Rule { get; init; }

    /// <summary>The expected verdict (<c>; expect: accept</c> or <c>; expect: refuse "…"</c>).</summary>
    public required CatalogueVerdict Expect { get; init; }

    /// <summary>For a refusal, a substring of the kernel's message (its errno and the log's closing error lines).</summary>
    public string? Message { get; init; }

    /// <summary>The program type (<c>; type:</c>, default socket_filter).</summary>
    public ProgramType Type { get; init; } = ProgramType.SocketFilter;

    /// <summary>The expected attach type (<c>; attach:</c>), for program types that need one.</summary>
    public AttachType? Attach { get; init; }

    /// <summary>The privilege level (<c>; privilege:</c>, default root).</summary>
    public CataloguePrivilege Privilege { get; init; } = CataloguePrivilege.Root;

    /// <summary>Program flags (<c>; flags: strict_alignment</c>).</summary>
    public uint Flags { get; init; }

    /// <summary>The maps (<c>; map:</c> lines, in order).</summary>
    public ImmutableArray<CatalogueMap> Maps { get; init; } = [];

    /// <summary>The whole file, comments included (the assembler skips them).</summary>
    public required string Text { get; init; }

    /// <summary>The program, map <c>lddw</c>s still holding map indices.</summary>
    public Instruction[] Assemble() => Assembler.Assemble(Text, File);

    [GeneratedRegex("""^;\s*(?<key>[a-z_]+)\s*:\s*(?<value>.*?)\s*$""")]
    private static partial Regex Header();

    [GeneratedRegex("""^refuse\s+"(?<message>[^"]+)"$""")]
    private static partial Regex Refuse();

    /// <summary>Reads the entry in <paramref name="path"/>, named <paramref name="id"/>.</summary>
    /// <exception cref="FormatException">A header line is missing, unknown or malformed.</exception>
    public static CatalogueEntry Parse(string path, string id)
    {
        string text = System.IO.File.ReadAllText(path);
        string? rule = null;
        CatalogueVerdict? expect = null;
        string? message = null;
        var type = ProgramType.SocketFilter;
        AttachType? attach = null;
        var privilege = CataloguePrivilege.Root;
        uint flags = 0;
        var maps = ImmutableArray.CreateBuilder<CatalogueMap>();
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0) continue;
            if (!line.StartsWith(';')) break;
            var m = Header().Match(line);
            if (!m.Success) continue; // a plain comment
            string value = m.Groups["value"].Value;
            string where = $"{path}:{lineNumber}";
            switch (m.Groups["key"].Value)
            {
                case "rule":
                    rule = value;
                    break;
                case "expect":
                    if (value == "accept")
                    {
                        expect = CatalogueVerdict.Accept;
                    }
                    else if (Refuse().Match(value) is { Success: true } r)
                    {
                        expect = CatalogueVerdict.Refuse;
                        message = r.Groups["message"].Value;
                    }
                    else
                    {
                        throw new FormatException($"{where}: expect is 'accept' or 'refuse \"message\"', not '{value}'");
                    }

                    break;
                case "type":
                    type = Named<ProgramType>(value, where);
                    break;
                case "attach":
                    attach = Named<AttachType>(value, where);
                    break;
                case "privilege":
                    privilege = value switch
                    {
                        "root" => CataloguePrivilege.Root,
                        "bpf" => CataloguePrivilege.Bpf,
                        _ => throw new FormatException($"{where}: privilege is root or bpf, not '{value}'"),
                    };
                    break;
                case "flags":
                    foreach (string flag in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        flags |= flag switch
                        {
                            "strict_alignment" => FlagStrictAlignment,
                            _ => throw new FormatException($"{where}: unknown program flag '{flag}'"),
                        };
                    }

                    break;
                case "map":
                    maps.Add(ParseMap(value, where));
                    break;
                default:
                    throw new FormatException($"{where}: unknown header '{m.Groups["key"].Value}'");
            }
        }

        if (rule is null) throw new FormatException($"{path}: no '; rule:' line");
        if (expect is null) throw new FormatException($"{path}: no '; expect:' line");
        return new CatalogueEntry
        {
            Id = id,
            File = path,
            Rule = rule,
            Expect = expect.Value,
            Message = message,
            Type = type,
            Attach = attach,
            Privilege = privilege,
            Flags = flags,
            Maps = maps.ToImmutable(),
            Text = text,
        };
    }

    /// <summary>Every entry under <paramref name="root"/> (the <c>safe/</c> and <c>unsafe/</c> folders), in name order.</summary>
    public static ImmutableArray<CatalogueEntry> ReadAll(string root)
    {
        var files = Directory.GetFiles(root, "*.s", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        return [.. files.Select(f => Parse(f, Path.GetRelativePath(root, f)[..^2].Replace('\\', '/')))];
    }

    // TYPE:KEY:VALUE:MAX[:flags=N][:lock=0]
    private static CatalogueMap ParseMap(string value, string where)
    {
        string[] parts = value.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length < 4) throw new FormatException($"{where}: a map is TYPE:KEY:VALUE:MAX[:flags=N][:lock=0], not '{value}'");
        var map = new CatalogueMap(Named<MapType>(parts[0], where), Number(parts[1], where), Number(parts[2], where), Number(parts[3], where), 0, false);
        foreach (string option in parts.Skip(4))
        {
            if (option.StartsWith("flags=", StringComparison.Ordinal)) map = map with { Flags = Number(option[6..], where) };
            else if (option == "lock=0" && map.ValueSize == 8) map = map with { SpinLock = true };
            else throw new FormatException($"{where}: unknown map option '{option}' (flags=N, or lock=0 with an 8-byte value)");
        }

        return map;
    }

    private static uint Number(string text, string where) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint hex) ? hex : throw new FormatException($"{where}: '{text}' is not a number")
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint dec) ? dec : throw new FormatException($"{where}: '{text}' is not a number");

    // socket_filter -> SocketFilter, percpu_array -> PercpuArray; case and underscores do not matter.
    private static T Named<T>(string text, string where)
        where T : struct, Enum =>
        Enum.TryParse<T>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new FormatException($"{where}: '{text}' names no {typeof(T).Name}");
}
