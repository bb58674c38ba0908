namespace HeteroBpf.Capture;

/// <summary>An interface packets were captured on: link type, snap length (0 = none) and pcapng <c>if_name</c>.</summary>
public readonly record struct CaptureInterface(LinkType LinkType, uint SnapLength, string? Name);
