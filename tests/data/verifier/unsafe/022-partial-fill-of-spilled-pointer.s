; rule: a spilled pointer can only be filled whole (8 bytes)
; expect: refuse "invalid size of register fill"
*(u64 *)(r10 - 8) = r1
r0 = *(u32 *)(r10 - 8)
exit
