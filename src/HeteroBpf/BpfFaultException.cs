namespace HeteroBpf;

/// <summary>A program stopped at run time: an access outside its memory, a runaway loop, too deep a call chain, a helper it may not call.</summary>
/// <remarks>The verifier's job is to make these impossible; an engine that meets one stops the program cleanly and never touches memory it does not own.</remarks>
public sealed class BpfFaultException : HbpfException
{
    /// <summary>Creates a fault at instruction slot <paramref name="slot"/>.</summary>
    public BpfFaultException(ErrorCode code, string reason, int slot, ulong address = 0, int size = 0, Exception? inner = null)
        : base(code, reason, BpfLocation.AtInstruction(slot), inner)
    {
        Slot = slot;
        Address = address;
        Size = size;
    }

    private BpfFaultException(BpfFaultException inner, BpfLocation location)
        : base(inner.Code, inner.Reason, location, inner)
    {
        Slot = inner.Slot;
        Address = inner.Address;
        Size = inner.Size;
    }

    /// <summary>Slot of the faulting instruction.</summary>
    public int Slot { get; }

    /// <summary>The address of a faulting memory access (0 for other faults).</summary>
    public ulong Address { get; }

    /// <summary>The size of a faulting memory access (0 for other faults).</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override HbpfException WithLocation(BpfLocation location) => new BpfFaultException(this, location);
}
