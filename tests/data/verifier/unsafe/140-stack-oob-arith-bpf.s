; rule: without CAP_PERFMON, a stack pointer may not be moved outside the frame, even if never used there
; expect: refuse "R2 stack pointer arithmetic goes out of range, prohibited for !root"
; privilege: bpf
r2 = r10
r2 += -600
r2 += 592
r0 = *(u64 *)(r2 + 0)
exit
