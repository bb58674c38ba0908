namespace HeteroBpf.Xdp;

/// <summary>Which redirect helper a run called last.</summary>
public enum XdpRedirectKind : uint
{
    /// <summary>No redirect was set up.</summary>
    None = 0,
    /// <summary><c>bpf_redirect(ifindex, 0)</c>.</summary>
    Interface = 1,
    /// <summary><c>bpf_redirect_map</c> found its key.</summary>
    Map = 2,
    /// <summary><c>bpf_redirect_map</c> with <c>BPF_F_BROADCAST</c>: every entry of a devmap.</summary>
    Broadcast = 3,
}

/// <summary>Where a run's <c>XDP_REDIRECT</c> goes: an interface, or a redirect map (by name) and key.</summary>
public readonly record struct XdpRedirect(XdpRedirectKind Kind, uint Target, string? MapName = null, uint Flags = 0)
{
    /// <summary>A name fit for a file: <c>if7</c>, <c>tx_ports-3</c>, <c>tx_ports-all</c>.</summary>
    public override string ToString() => Kind switch
    {
        XdpRedirectKind.Interface => $"if{Target}",
        XdpRedirectKind.Map => $"{MapName}-{Target}",
        XdpRedirectKind.Broadcast => $"{MapName}-all",
        _ => "none",
    };
}
