namespace HeteroBpf.Btf;

/// <summary>Fuzz entry points (SharpFuzz-ready): any input either parses or raises an <see cref="HbpfException"/>; anything else is a bug.</summary>
public static class BtfFuzz
{
    /// <summary>Parses <paramref name="data"/> as <c>.BTF</c> and runs every query over the result.</summary>
    public static void FuzzBtf(ReadOnlySpan<byte> data)
    {
        BtfSpec btf;
        try
        {
            btf = BtfSpec.Parse(data);
        }
        catch (HbpfException)
        {
            return;
        }

        Exercise(btf);
    }

    /// <summary>Parses <paramref name="data"/> as a <c>.BTF</c> blob followed by a <c>.BTF.ext</c> blob, split at the 4-byte little-endian length in front.</summary>
    public static void FuzzBtfExt(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4) return;
        uint btfLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data);
        var rest = data[4..];
        if (btfLength > (uint)rest.Length) return;
        try
        {
            var btf = BtfSpec.Parse(rest[..(int)btfLength]);
            var ext = BtfExtSpec.Parse(rest[(int)btfLength..], btf);
            foreach (string section in ext.LineInfos.Keys) ext.GetLineTable(section).TryFind(0, out _);
        }
        catch (HbpfException)
        {
        }
    }

    /// <summary>Asks every query of every type; each either answers or raises <see cref="HbpfException"/>.</summary>
    internal static void Exercise(BtfSpec btf)
    {
        for (int id = 0; id < btf.Count; id++)
        {
            try
            {
                btf.Resolve(id);
                btf.SizeOf(id);
            }
            catch (HbpfException)
            {
            }

            string name = btf[id].Name;
            if (name.Length > 0) btf.Find(name, btf[id].Kind);
        }

        try
        {
            btf.GetMaps();
        }
        catch (HbpfException)
        {
        }
    }
}
