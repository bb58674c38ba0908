using System.Globalization;
using System.Text.Json;

namespace HeteroBpf.Tests.Capture;

/// <summary>One frame as tshark reports it: epoch time in ns (null when the block has none), lengths, interface, Wireshark encapsulation and bytes.</summary>
public sealed record TsharkFrame(long? TimestampNs, uint Length, uint CapturedLength, int InterfaceId, int EncapType, byte[] Bytes);

/// <summary>Runs Wireshark's tshark, the independent reader the capture tests compare with; a machine without it skips them with the reason.</summary>
public static class Tshark
{
    /// <summary>The Debian package that provides tshark (test.sh installs it).</summary>
    public const string Package = "tshark";

    /// <summary><c>tshark -r file -T json -x</c>: every frame's <c>frame.*</c> fields and raw bytes (<c>frame_raw</c>).</summary>
    public static List<TsharkFrame> Read(string file)
    {
        using var json = JsonDocument.Parse(Run("-r", file, "-T", "json", "-x"));
        var frames = new List<TsharkFrame>();
        foreach (var element in json.RootElement.EnumerateArray())
        {
            var layers = element.GetProperty("_source").GetProperty("layers");
            var frame = layers.GetProperty("frame");
            string? Field(string name) => frame.TryGetProperty(name, out var v) ? v.GetString() : null;
            frames.Add(new TsharkFrame(
                Field("frame.time_epoch") is { } epoch ? EpochNanoseconds(epoch) : null,
                uint.Parse(Field("frame.len")!, CultureInfo.InvariantCulture),
                uint.Parse(Field("frame.cap_len")!, CultureInfo.InvariantCulture),
                Field("frame.interface_id") is { } id ? int.Parse(id, CultureInfo.InvariantCulture) : 0,
                int.Parse(Field("frame.encap_type")!, CultureInfo.InvariantCulture),
                Convert.FromHexString(layers.GetProperty("frame_raw")[0].GetString()!)));
        }

        return frames;
    }

    /// <summary>"1796378400.123456789" → ns, exactly (no floating point).</summary>
    public static long EpochNanoseconds(string epoch)
    {
        string[] parts = epoch.Split('.');
        long seconds = long.Parse(parts[0], CultureInfo.InvariantCulture);
        string fraction = parts.Length > 1 ? parts[1].PadRight(9, '0')[..9] : "0";
        return (seconds * 1_000_000_000L) + long.Parse(fraction, CultureInfo.InvariantCulture);
    }

    private static string Run(params string[] args) => ExternalTool.Run("tshark", Package, skipWhenMissing: true, args);
}
