; rule: with CAP_PERFMON a stack pointer may go outside the frame temporarily if it is back when used
; expect: accept
r2 = r10
r2 += -600
r2 += 592
*(u64 *)(r2 + 0) = 1
r0 = *(u64 *)(r2 + 0)
exit
