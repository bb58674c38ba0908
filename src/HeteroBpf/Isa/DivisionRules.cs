namespace HeteroBpf.Isa;

/// <summary>
/// RFC 9669 §4.1's division and modulo on concrete values, results zero-extended to 64 bits: division by zero gives 0,
/// modulo by zero leaves the dividend, signed MIN / -1 overflows to MIN and MIN % -1 is 0 (C# would throw for both,
/// hence the explicit cases). Shared by the interpreter and the verifier's constant folding.
/// </summary>
internal static class DivisionRules
{
    public static ulong UDiv64(ulong a, ulong b) => b == 0 ? 0 : a / b;

    public static ulong UMod64(ulong a, ulong b) => b == 0 ? a : a % b;

    public static ulong SDiv64(ulong a, long b) => b == 0 ? 0 : b == -1 ? (ulong)-(long)a : (ulong)((long)a / b);

    public static ulong SMod64(ulong a, long b) => b == 0 ? a : b == -1 ? 0 : (ulong)((long)a % b);

    public static ulong UDiv32(uint a, uint b) => b == 0 ? 0 : a / b;

    public static ulong UMod32(uint a, uint b) => b == 0 ? a : a % b;

    public static ulong SDiv32(int a, int b) => b == 0 ? 0 : b == -1 ? (uint)-a : (uint)(a / b);

    public static ulong SMod32(int a, int b) => b == 0 ? (uint)a : b == -1 ? 0 : (uint)(a % b);
}
