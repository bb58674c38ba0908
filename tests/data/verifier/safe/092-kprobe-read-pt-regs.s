; rule: a kprobe reads pt_regs fields (8 bytes, aligned)
; expect: accept
; type: kprobe
r0 = *(u64 *)(r1 + 112)
r2 = *(u64 *)(r1 + 160)
r0 += r2
exit
