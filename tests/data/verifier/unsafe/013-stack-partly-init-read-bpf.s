; rule: without CAP_PERFMON, every byte read from the stack must have been written
; expect: refuse "invalid read from stack off -8+4 size 8"
; privilege: bpf
*(u32 *)(r10 - 8) = 0
r0 = *(u64 *)(r10 - 8)
exit
