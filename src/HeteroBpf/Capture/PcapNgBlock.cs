namespace HeteroBpf.Capture;

/// <summary>pcapng block type numbers this reader acts on, their names for messages and their smallest total lengths.</summary>
internal static class PcapNgBlock
{
    public const uint SectionHeader = 0x0A0D0D0A;
    public const uint InterfaceDescription = 1;
    public const uint ObsoletePacket = 2;
    public const uint SimplePacket = 3;
    public const uint EnhancedPacket = 6;

    /// <summary>Name for messages: the short name the pcapng draft uses, or the type number.</summary>
    public static string Name(uint type) => type switch
    {
        SectionHeader => "SHB",
        InterfaceDescription => "IDB",
        ObsoletePacket => "packet block (obsolete)",
        SimplePacket => "SPB",
        4 => "NRB",
        5 => "ISB",
        EnhancedPacket => "EPB",
        _ => $"block type 0x{type:x8}",
    };

    /// <summary>Type, length, fixed fields and trailing length.</summary>
    public static uint MinimumLength(uint type) => type switch
    {
        SectionHeader => 28,
        InterfaceDescription => 20,
        ObsoletePacket or EnhancedPacket => 32,
        SimplePacket => 16,
        _ => 12,
    };
}
