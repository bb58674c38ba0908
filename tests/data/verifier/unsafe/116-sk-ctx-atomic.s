; rule: atomic operations are allowed on stack and map values only, not the context
; expect: refuse "BPF_ATOMIC stores into R1 ctx is not allowed"
r2 = 1
lock *(u32 *)(r1 + 48) += r2
r0 = 0
exit
