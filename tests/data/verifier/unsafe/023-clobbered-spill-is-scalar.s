; rule: overwriting part of a spilled pointer turns the slot into plain bytes; filling it gives a scalar, not a pointer
; expect: refuse "R2 invalid mem access 'scalar'"
*(u64 *)(r10 - 8) = r1
*(u32 *)(r10 - 8) = 0
r2 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r2 + 0)
exit
