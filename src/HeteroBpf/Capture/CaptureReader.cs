using System.Buffers;
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace HeteroBpf.Capture;

/// <summary>Reads pcap and pcapng captures packet by packet, handing out spans into the mapped file or given memory.</summary>
/// <remarks>
/// Every length and offset is checked against the end of the input before use, so no input makes it read outside
/// the input, allocate per packet or loop: each <see cref="TryRead"/> moves forward by at least one record header.
/// </remarks>
public sealed unsafe partial class CaptureReader : IDisposable
{
    private readonly string _name;
    private readonly long _length;
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private MemoryHandle _pin;
    private byte* _base;
    private long _offset;
    private bool _swapped;
    private readonly List<CaptureInterface> _interfaces = [];
    private readonly System.Collections.ObjectModel.ReadOnlyCollection<CaptureInterface> _interfacesView;

    private CaptureReader(string name, byte* start, long length, MemoryMappedFile? file, MemoryMappedViewAccessor? view, MemoryHandle pin)
    {
        _name = name;
        _base = start;
        _length = length;
        _file = file;
        _view = view;
        _pin = pin;
        _interfacesView = _interfaces.AsReadOnly();
    }

    /// <summary>The file's format, told by its magic.</summary>
    public CaptureFormat Format { get; private set; }

    /// <summary>pcap: the file's one interface; pcapng: every IDB of the current section read so far.</summary>
    public IReadOnlyList<CaptureInterface> Interfaces => _interfacesView;

    /// <summary>Opens and memory-maps a capture file, reading its header (pcapng: every block before the first packet).</summary>
    public static CaptureReader Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HbpfException(ErrorCode.FileNotReadable, e.Message, new BpfLocation { File = path }, e);
        }

        // MemoryMappedFile refuses a zero-length file; an empty capture gets its own error instead.
        if (stream.Length == 0)
        {
            stream.Dispose();
            throw new CaptureFormatException(ErrorCode.CaptureEmpty, "empty file: no pcap or pcapng header", path, 0);
        }

        long length = stream.Length;
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor view;
        try
        {
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        return Start(new CaptureReader(path, start + view.PointerOffset, length, file, view, default));
    }

    /// <summary>Reads a capture held in memory (tests, fuzzing); the memory is pinned until disposal.</summary>
    public static CaptureReader FromBytes(ReadOnlyMemory<byte> bytes, string name = "<memory>")
    {
        if (bytes.IsEmpty) throw new CaptureFormatException(ErrorCode.CaptureEmpty, "empty file: no pcap or pcapng header", name, 0);
        var pin = bytes.Pin();
        return Start(new CaptureReader(name, (byte*)pin.Pointer, bytes.Length, null, null, pin));
    }

    /// <summary>Reads the next packet; false at a clean end of the input.</summary>
    /// <exception cref="CaptureFormatException">The next record or block is truncated or malformed; every earlier packet was returned.</exception>
    // Once per packet of a capture: optimised from the first call, as the runs that read them (see ARCHITECTURE).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool TryRead(out CapturedPacket packet)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return Format == CaptureFormat.Pcap ? TryReadPcapRecord(out packet) : TryReadPcapNgBlock(out packet, stopBeforePacket: false);
    }

    /// <summary>Unmaps the file or unpins the memory; spans handed out become invalid.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _file?.Dispose();
        _pin.Dispose();
    }

    private static CaptureReader Start(CaptureReader reader)
    {
        try
        {
            reader.ReadFileHeader();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private void ReadFileHeader()
    {
        if (_length < 4) throw Truncated(0, "capture magic", 4);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(Bytes(0, 4));
        switch (magic)
        {
            case PcapMagicMicro or PcapMagicNano or PcapMagicMicroSwapped or PcapMagicNanoSwapped:
                Format = CaptureFormat.Pcap;
                ReadPcapHeader(magic);
                break;
            case PcapNgBlock.SectionHeader:
                Format = CaptureFormat.PcapNg;
                // Interfaces described before the first packet are known as soon as the file is open.
                TryReadPcapNgBlock(out _, stopBeforePacket: true);
                break;
            default:
                var b = Bytes(0, 4);
                throw Error(ErrorCode.CaptureUnknownMagic, 0,
                    $"unknown magic {b[0]:x2} {b[1]:x2} {b[2]:x2} {b[3]:x2}: neither pcap (a1 b2 c3 d4, a1 b2 3c 4d, either order) nor pcapng (0a 0d 0d 0a)");
        }
    }

    // Callers have checked offset + count against _length.
    private ReadOnlySpan<byte> Bytes(long offset, int count) => new(_base + offset, count);

    private uint U32(long offset)
    {
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(Bytes(offset, 4));
        return _swapped ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    private ushort U16(long offset)
    {
        ushort v = BinaryPrimitives.ReadUInt16LittleEndian(Bytes(offset, 2));
        return _swapped ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    private CaptureFormatException Error(ErrorCode code, long offset, string reason) => new(code, reason, _name, offset);

    private CaptureFormatException Truncated(long offset, string what, long needed) =>
        Error(ErrorCode.CaptureTruncated, offset, $"{what} cut by the end of the file: {needed} bytes needed, {needed - (_length - offset)} missing");
}
