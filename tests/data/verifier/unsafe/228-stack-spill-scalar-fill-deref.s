; rule: a spilled scalar fills back as a scalar
; expect: refuse "R3 invalid mem access 'scalar'"
r2 = 64
*(u64 *)(r10 - 8) = r2
r3 = *(u64 *)(r10 - 8)
r0 = *(u64 *)(r3 + 0)
exit
