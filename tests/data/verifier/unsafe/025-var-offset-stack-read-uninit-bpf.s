; rule: without CAP_PERFMON, a variable may not be subtracted from a stack pointer
; expect: refuse "R3 subtraction from stack pointer prohibited"
; privilege: bpf
r2 = *(u32 *)(r1 + 0)
r2 &= 3
r3 = r10
r3 += -4
r3 -= r2
r0 = *(u8 *)(r3 + 0)
exit
