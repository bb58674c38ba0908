namespace HeteroBpf.Capture;

// The classic libpcap format: a 24-byte file header, then 16-byte record headers each followed by its data.
public sealed unsafe partial class CaptureReader
{
    private const uint PcapMagicMicro = 0xA1B2C3D4;
    private const uint PcapMagicNano = 0xA1B23C4D;
    private const uint PcapMagicMicroSwapped = 0xD4C3B2A1;
    private const uint PcapMagicNanoSwapped = 0x4D3CB2A1;
    private const int PcapHeaderLength = 24;
    private const int PcapRecordHeaderLength = 16;

    // Wireshark's largest ordinary packet; a record above both it and the snaplen is corrupt, not big.
    private const uint SaneRecordLength = 256 * 1024;

    // libpcap's LT_LINKTYPE: the upper bits carry the FCS length and its presence flag, not the link type.
    private const uint LinkTypeMask = 0x03FF_FFFF;

    private bool _nanosecond;
    private uint _recordLimit;

    private void ReadPcapHeader(uint magic)
    {
        if (_length < PcapHeaderLength) throw Truncated(0, "pcap file header", PcapHeaderLength);
        _swapped = magic is PcapMagicMicroSwapped or PcapMagicNanoSwapped;
        _nanosecond = magic is PcapMagicNano or PcapMagicNanoSwapped;
        ushort major = U16(4), minor = U16(6);
        if (major != 2) throw Error(ErrorCode.CaptureBadVersion, 4, $"pcap version {major}.{minor}: only 2.x is read");
        uint snapLength = U32(16);
        _recordLimit = Math.Min(Math.Max(SaneRecordLength, snapLength), int.MaxValue);
        _interfaces.Add(new CaptureInterface((LinkType)(U32(20) & LinkTypeMask), snapLength, null));
        _offset = PcapHeaderLength;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool TryReadPcapRecord(out CapturedPacket packet)
    {
        long at = _offset;
        if (at == _length)
        {
            packet = default;
            return false;
        }

        if (_length - at < PcapRecordHeaderLength) throw Truncated(at, "pcap record header", PcapRecordHeaderLength);
        uint seconds = U32(at), fraction = U32(at + 4), captured = U32(at + 8), original = U32(at + 12);
        if (captured > original) throw Error(ErrorCode.CaptureBadRecordLength, at, $"pcap record captured length {captured} exceeds its original length {original}");
        if (captured > _recordLimit) throw Error(ErrorCode.CaptureBadRecordLength, at, $"pcap record captured length {captured} exceeds the limit {_recordLimit} (256 KiB or the snaplen)");
        if (_length - at - PcapRecordHeaderLength < captured) throw Truncated(at, $"pcap record of {captured} data bytes", PcapRecordHeaderLength + captured);

        long timestamp = seconds * 1_000_000_000L + (_nanosecond ? fraction : fraction * 1000L);
        _offset = at + PcapRecordHeaderLength + captured;
        packet = new CapturedPacket(Bytes(at + PcapRecordHeaderLength, (int)captured), timestamp, original, 0, _interfaces[0].LinkType, at);
        return true;
    }
}
