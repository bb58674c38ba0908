namespace HeteroBpf.Maps;

/// <summary>A map spec the kernel's <c>BPF_MAP_CREATE</c> would refuse, with the errno it would give.</summary>
public sealed class MapSpecException : HbpfException
{
    /// <summary>Creates the error for map <paramref name="mapName"/>.</summary>
    public MapSpecException(ErrorCode code, Errno errno, string mapName, string reason, BpfLocation location = default, Exception? inner = null)
        : base(code, $"map '{mapName}': {reason} ({errno})", location, inner)
    {
        Errno = errno;
        MapName = mapName;
    }

    /// <summary>What <c>BPF_MAP_CREATE</c> returns for the same spec.</summary>
    public Errno Errno { get; }

    /// <summary>The map's name.</summary>
    public string MapName { get; }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new MapSpecException(Code, Errno, MapName, Reason, location, this);
}
