namespace HeteroBpf;

/// <summary>What a run returned: R0 and how many instructions executed (a <c>lddw</c> counts once).</summary>
public readonly record struct ExecutionResult(ulong ReturnValue, long InstructionCount);
