; rule: with CAP_PERFMON a bounded variable offset on the stack pointer is allowed for initialised slots
; expect: accept
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r2 = *(u32 *)(r1 + 0)
r2 &= 7
r3 = r10
r3 += -16
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
