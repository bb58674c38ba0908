namespace HeteroBpf.Capture;

/// <summary>Link-layer header type of captured packets, with tcpdump's <c>LINKTYPE_</c> numbers; other numbers load as casts.</summary>
public enum LinkType : uint
{
    /// <summary>BSD loopback: a 4-byte protocol family in the host's byte order.</summary>
    Null = 0,
    /// <summary>IEEE 802.3 Ethernet.</summary>
    Ethernet = 1,
    /// <summary>Raw IP, version from the first nibble.</summary>
    Raw = 101,
    /// <summary>Linux cooked capture v1.</summary>
    LinuxSll = 113,
    /// <summary>Raw IPv4.</summary>
    Ipv4 = 228,
    /// <summary>Raw IPv6.</summary>
    Ipv6 = 229,
    /// <summary>Linux cooked capture v2.</summary>
    LinuxSll2 = 276,
}
