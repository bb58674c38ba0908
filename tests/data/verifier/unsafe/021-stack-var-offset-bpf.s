; rule: without CAP_PERFMON (Spectre v1), stack pointers may not take variable offsets
; expect: refuse "variable stack access prohibited for !root"
; privilege: bpf
*(u64 *)(r10 - 8) = 0
r2 = *(u32 *)(r1 + 0)
r2 &= 7
r3 = r10
r3 += -8
r3 += r2
r0 = *(u8 *)(r3 + 0)
exit
