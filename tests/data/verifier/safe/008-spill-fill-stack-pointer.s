; rule: a spilled stack pointer fills back as a stack pointer with its offset
; expect: accept
r2 = r10
r2 += -16
*(u64 *)(r10 - 8) = r2
*(u64 *)(r10 - 16) = 7
r3 = *(u64 *)(r10 - 8)
r0 = *(u64 *)(r3 + 0)
exit
