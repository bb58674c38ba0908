; rule: without CAP_PERFMON, a helper may not read a spilled pointer from the stack (map update value)
; expect: refuse "invalid read from stack R3 off -8+0 size 8"
; privilege: bpf
; map: hash:4:8:16
*(u64 *)(r10 - 8) = r1
*(u32 *)(r10 - 12) = 0
r2 = r10
r2 += -12
r3 = r10
r3 += -8
r4 = 0
ld_pseudo r1, 1, 0
call 2
r0 = 0
exit
