namespace HeteroBpf.Capture;

/// <summary>Fuzz entry point (SharpFuzz-ready): any input reads to its end or raises a <see cref="CaptureFormatException"/>; anything else is a bug.</summary>
public static class CaptureFuzz
{
    /// <summary>Reads every packet of <paramref name="data"/> as a capture, touching each packet's bytes.</summary>
    public static void FuzzCapture(ReadOnlySpan<byte> data)
    {
        try
        {
            using var reader = CaptureReader.FromBytes(data.ToArray());
            int sum = 0;
            while (reader.TryRead(out var packet))
            {
                if (!packet.Data.IsEmpty) sum += packet.Data[^1];
                if ((uint)packet.InterfaceIndex >= (uint)reader.Interfaces.Count) throw new System.Diagnostics.UnreachableException("packet names an interface the reader does not list");
            }

            GC.KeepAlive(sum);
        }
        catch (CaptureFormatException)
        {
        }
    }
}
