using System.Buffers.Binary;
using System.Text;

namespace HeteroBpf.Capture;

// pcapng: sections, each an SHB (which fixes the byte order) followed by blocks of type, total length, body, total length.
public sealed unsafe partial class CaptureReader
{
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint ByteOrderMagicSwapped = 0x4D3C2B1A;

    // Per interface of the current section, parallel to _interfaces: how to turn its timestamps into nanoseconds.
    private readonly List<Timestamps> _timestamps = [];

    /// <summary>Reads blocks up to the next packet; with <paramref name="stopBeforePacket"/>, stops in front of it instead.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool TryReadPcapNgBlock(out CapturedPacket packet, bool stopBeforePacket)
    {
        packet = default;
        while (_offset < _length)
        {
            long at = _offset;
            if (_length - at < 12) throw Truncated(at, "pcapng block header", 12);
            // The SHB's type reads the same in both orders; its byte-order magic fixes the order of everything after.
            uint type = U32(at);
            if (type == PcapNgBlock.SectionHeader) ReadByteOrder(at);
            uint total = U32(at + 4);
            if (total % 4 != 0 || total < PcapNgBlock.MinimumLength(type))
            {
                throw Error(ErrorCode.CaptureBadBlockLength, at,
                    $"{PcapNgBlock.Name(type)}: total length {total} is not a multiple of 4 or below the {PcapNgBlock.MinimumLength(type)} bytes of its fixed fields");
            }

            if (total > _length - at) throw Truncated(at, $"{PcapNgBlock.Name(type)} of {total} bytes", total);
            long end = at + total - 4;
            uint trailer = U32(end);
            if (trailer != total) throw Error(ErrorCode.CaptureBadBlockLength, at, $"{PcapNgBlock.Name(type)}: total length {total} differs from its trailing copy {trailer}");

            bool isPacket = type is PcapNgBlock.EnhancedPacket or PcapNgBlock.SimplePacket or PcapNgBlock.ObsoletePacket;
            if (isPacket && stopBeforePacket) return false;
            switch (type)
            {
                case PcapNgBlock.SectionHeader:
                    ReadSectionHeader(at, end);
                    break;
                case PcapNgBlock.InterfaceDescription:
                    ReadInterfaceDescription(at, end);
                    break;
                case PcapNgBlock.EnhancedPacket:
                    packet = ReadPacket(at, end, type, U32(at + 8), at + 12);
                    break;
                case PcapNgBlock.ObsoletePacket:
                    packet = ReadPacket(at, end, type, U16(at + 8), at + 12);
                    break;
                case PcapNgBlock.SimplePacket:
                    packet = ReadSimplePacket(at, end);
                    break;
            }

            // Only after the block read cleanly: a bad block fails again on the next call, never skipped.
            _offset = at + total;
            if (isPacket) return true;
        }

        return false;
    }

    private void ReadByteOrder(long at)
    {
        uint order = BinaryPrimitives.ReadUInt32LittleEndian(Bytes(at + 8, 4));
        _swapped = order switch
        {
            ByteOrderMagic => false,
            ByteOrderMagicSwapped => true,
            _ => throw Error(ErrorCode.CaptureUnknownMagic, at, $"SHB: byte-order magic 0x{order:x8} is neither 0x1a2b3c4d nor its swap"),
        };
    }

    private void ReadSectionHeader(long at, long end)
    {
        ushort major = U16(at + 12), minor = U16(at + 14);
        if (major != 1) throw Error(ErrorCode.CaptureBadVersion, at, $"SHB: pcapng version {major}.{minor}: only 1.x is read");
        WalkOptions(at, at + 24, end, PcapNgBlock.SectionHeader);

        // Interface ids count from 0 again in every section.
        _interfaces.Clear();
        _timestamps.Clear();
    }

    private void ReadInterfaceDescription(long at, long end)
    {
        var linkType = (LinkType)U16(at + 8);
        uint snapLength = U32(at + 12);
        string? name = null;
        var timestamps = Timestamps.Microseconds;
        for (long option = at + 16; NextOption(at, ref option, end, PcapNgBlock.InterfaceDescription, out ushort code, out long value, out int length);)
        {
            switch (code)
            {
                case 2:
                    name = Encoding.UTF8.GetString(Bytes(value, length)).TrimEnd('\0');
                    break;
                case 9 when length == 1:
                    byte resolution = Bytes(value, 1)[0];
                    if (!Timestamps.TryFromResolution(resolution, timestamps.OffsetNs, out timestamps))
                    {
                        throw Error(ErrorCode.CaptureBadOption, value - 4, $"IDB: if_tsresol 0x{resolution:x2} counts more units per second than 64 bits hold");
                    }

                    break;
                case 10 when length == 8:
                    // A 64-bit value in the section's order: the first word is the high half only when swapped.
                    ulong first = U32(value), second = U32(value + 4);
                    ulong seconds = _swapped ? first << 32 | second : second << 32 | first;
                    timestamps = timestamps with { OffsetNs = unchecked((long)seconds * 1_000_000_000L) };
                    break;
            }
        }

        _interfaces.Add(new CaptureInterface(linkType, snapLength, name));
        _timestamps.Add(timestamps);
    }

    private CapturedPacket ReadPacket(long at, long end, uint type, uint interfaceId, long fields)
    {
        CheckInterface(at, type, interfaceId);
        ulong units = (ulong)U32(fields) << 32 | U32(fields + 4);
        uint captured = U32(fields + 8), original = U32(fields + 12);
        long data = fields + 16;
        if (captured > end - data || captured > int.MaxValue)
        {
            throw Error(ErrorCode.CaptureBadPacketLength, at, $"{PcapNgBlock.Name(type)}: captured length {captured} runs past the block ({end - data} bytes of room)");
        }

        WalkOptions(at, data + ((captured + 3) & ~3L), end, type);
        int index = (int)interfaceId;
        return new CapturedPacket(Bytes(data, (int)captured), _timestamps[index].ToNanoseconds(units), original, index, _interfaces[index].LinkType, at);
    }

    private CapturedPacket ReadSimplePacket(long at, long end)
    {
        CheckInterface(at, PcapNgBlock.SimplePacket, 0);
        uint original = U32(at + 8);
        long data = at + 12;
        long captured = Math.Min(end - data, original);
        uint snapLength = _interfaces[0].SnapLength;
        if (snapLength != 0) captured = Math.Min(captured, snapLength);
        if (captured > int.MaxValue) throw Error(ErrorCode.CaptureBadPacketLength, at, $"SPB: packet of {captured} bytes is larger than this reader takes");
        return new CapturedPacket(Bytes(data, (int)captured), 0, original, 0, _interfaces[0].LinkType, at);
    }

    private void CheckInterface(long at, uint type, uint interfaceId)
    {
        if (interfaceId >= (uint)_interfaces.Count)
        {
            throw Error(ErrorCode.CaptureBadInterface, at, $"{PcapNgBlock.Name(type)}: interface {interfaceId}, but its section has described {_interfaces.Count}");
        }
    }

    private void WalkOptions(long at, long option, long end, uint type)
    {
        while (NextOption(at, ref option, end, type, out _, out _, out _))
        {
        }
    }

    /// <summary>Steps to the next option before <paramref name="end"/>; false at opt_endofopt or the end of the block.</summary>
    private bool NextOption(long at, ref long option, long end, uint type, out ushort code, out long value, out int length)
    {
        code = 0;
        value = 0;
        length = 0;
        if (option >= end) return false;
        if (end - option < 4) throw Error(ErrorCode.CaptureBadOption, at, $"{PcapNgBlock.Name(type)}: option header at 0x{option:x} cut by the end of the block");
        code = U16(option);
        length = U16(option + 2);
        if (code == 0) return false;
        value = option + 4;
        long padded = (length + 3) & ~3L;
        if (padded > end - value)
        {
            throw Error(ErrorCode.CaptureBadOption, at, $"{PcapNgBlock.Name(type)}: option {code} at 0x{option:x} of {length} bytes runs past the block");
        }

        option = value + padded;
        return true;
    }

    /// <summary>An interface's timestamp units: units per second (from <c>if_tsresol</c>) and the <c>if_tsoffset</c> in ns.</summary>
    private readonly record struct Timestamps(ulong UnitsPerSecond, long OffsetNs)
    {
        public static Timestamps Microseconds => new(1_000_000, 0);

        /// <summary>Bit 7 clear: 10^-n seconds; set: 2^-n seconds.</summary>
        public static bool TryFromResolution(byte resolution, long offsetNs, out Timestamps timestamps)
        {
            int exponent = resolution & 0x7F;
            ulong units = 1;
            bool fits = (resolution & 0x80) != 0 ? exponent < 64 : exponent < 20;
            if (fits)
            {
                if ((resolution & 0x80) != 0) units <<= exponent;
                else for (int i = 0; i < exponent; i++) units *= 10;
            }

            timestamps = new Timestamps(units, offsetNs);
            return fits;
        }

        // Truncates below a nanosecond, as Wireshark does; wraps on overflow rather than fail on a date.
        public long ToNanoseconds(ulong units) => unchecked(OffsetNs + UnitsPerSecond switch
        {
            1_000_000_000 => (long)units,
            1_000_000 => (long)(units * 1000),
            _ => (long)(ulong)((UInt128)units * 1_000_000_000 / UnitsPerSecond),
        });
    }
}
