; rule: without CAP_PERFMON, a map value pointer may not even be moved outside the value (Spectre v1)
; expect: refuse "R0 pointer arithmetic of map value goes out of range"
; privilege: bpf
; map: array:4:8:1
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 += 16
r0 += -16
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
