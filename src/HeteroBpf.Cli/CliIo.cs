using HeteroBpf.Isa;

namespace HeteroBpf.Cli;

/// <summary>The streams a command writes to, and the one place that turns input errors into a line and an exit code.</summary>
public sealed class CliIo(TextReader stdin, TextWriter stdout, TextWriter stderr)
{
    /// <summary>Standard input.</summary>
    public TextReader In { get; } = stdin;

    /// <summary>Standard output.</summary>
    public TextWriter Out { get; } = stdout;

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; } = stderr;

    /// <summary>Runs a command body; an <see cref="HbpfException"/> or unreadable file becomes one line on stderr and exit code 1.</summary>
    public int Guard(string? file, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (HbpfException e)
        {
            var location = file is null ? e.Location : e.Location.InFile(file);
            Error.WriteLine(location.IsEmpty ? $"hbpf: {e.Reason} ({e.CodeText})" : $"{location}: {e.Reason} ({e.CodeText})");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error.WriteLine($"{file ?? "hbpf"}: cannot read: {e.Message} (HB{(int)ErrorCode.FileNotReadable:D4})");
            return 1;
        }
    }

    /// <summary>Reads a program: assembler text (<c>.s</c>, <c>.asm</c>) or raw little-endian bytecode (anything else).</summary>
    public static Instruction[] LoadProgram(string path)
    {
        if (!File.Exists(path)) throw new HbpfException(ErrorCode.FileNotReadable, "no such file", new BpfLocation { File = path });
        string ext = Path.GetExtension(path);
        if (ext is ".s" or ".asm") return Asm.Assembler.Assemble(File.ReadAllText(path), path);

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 4 && bytes[0] == 0x7f && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F')
        {
            throw new HbpfException(ErrorCode.BadArgument, "exec runs raw bytecode (.bin) or assembler text (.s), not ELF objects: run an object's XDP program with 'hbpf run' (over a capture) or 'hbpf test-run' (over given inputs)", new BpfLocation { File = path });
        }

        return InstructionDecoder.Decode(bytes);
    }
}
