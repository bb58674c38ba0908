namespace HeteroBpf.Capture;

/// <summary>The container format of a capture file.</summary>
public enum CaptureFormat
{
    /// <summary>libpcap's classic format (microsecond or nanosecond, either byte order).</summary>
    Pcap,
    /// <summary>pcapng (RFC draft-ietf-opsawg-pcapng): sections of blocks.</summary>
    PcapNg,
}
