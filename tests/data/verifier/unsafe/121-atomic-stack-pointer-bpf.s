; rule: without CAP_PERFMON an atomic add cannot store a pointer value (it would leak into memory)
; expect: refuse "R3 leaks addr into mem"
; privilege: bpf
*(u64 *)(r10 - 8) = 0
r3 = r10
lock *(u64 *)(r10 - 8) += r3
r0 = 0
exit
