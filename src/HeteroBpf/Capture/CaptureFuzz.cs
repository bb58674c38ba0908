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
            while (reader.TryRead(out var packet))
            {
                // The last byte and the interface entry: a span or index past its bounds would throw here, not later.
                if (!packet.Data.IsEmpty) _ = packet.Data[^1];
                _ = reader.Interfaces[packet.InterfaceIndex];
            }
        }
        catch (CaptureFormatException)
        {
        }
    }
}
