; rule: without CAP_PERFMON, a pointer must not be stored into the context (cb[])
; expect: refuse "R10 leaks addr into ctx"
; privilege: bpf
*(u32 *)(r1 + 48) = r10
r0 = 0
exit
