using System.Text;

namespace HeteroBpf.Btf;

/// <summary>The string section of a BTF blob: NUL-terminated UTF-8 names addressed by byte offset.</summary>
internal sealed class BtfStrings(byte[] bytes)
{
    /// <summary>The raw section, kept so that <c>.BTF.ext</c> can resolve its own offsets into it later.</summary>
    public byte[] Bytes { get; } = bytes;

    /// <summary>The string at <paramref name="offset"/>; errors name <paramref name="section"/> and <paramref name="at"/>, the offset of the field that holds it.</summary>
    /// <remarks><paramref name="cache"/> is per parse: names repeat a lot (member names, file names of line info), decoding once saves most of the time on vmlinux.</remarks>
    public string Get(uint offset, Dictionary<uint, string> cache, string section, long at, int? typeId = null)
    {
        if (offset == 0 && (Bytes.Length == 0 || Bytes[0] == 0)) return "";
        if (cache.TryGetValue(offset, out string? s)) return s;
        if (offset >= (uint)Bytes.Length)
        {
            throw new BtfFormatException(ErrorCode.BtfBadStringOffset,
                $"string offset {offset} is beyond the string section ({Bytes.Length} bytes)", section, at, typeId);
        }

        var tail = Bytes.AsSpan((int)offset);
        int nul = tail.IndexOf((byte)0);
        if (nul < 0)
        {
            throw new BtfFormatException(ErrorCode.BtfUnterminatedString,
                $"string at offset {offset} runs to the end of the string section without a NUL", section, at, typeId);
        }

        s = Encoding.UTF8.GetString(tail[..nul]);
        cache[offset] = s;
        return s;
    }
}
