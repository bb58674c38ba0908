; rule: an atomic operation reads memory: without CAP_PERFMON the stack slot must have been written
; expect: refuse "invalid read from stack"
; privilege: bpf
r3 = 1
lock *(u64 *)(r10 - 8) += r3
r0 = 0
exit
