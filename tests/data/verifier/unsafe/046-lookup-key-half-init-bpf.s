; rule: without CAP_PERFMON, every byte of the key must have been written
; expect: refuse "invalid read from stack R2 off -8+4 size 8"
; privilege: bpf
; map: hash:8:8:16
*(u32 *)(r10 - 8) = 0
r2 = r10
r2 += -8
ld_pseudo r1, 1, 0
call 1
r0 = 0
exit
