; rule: with CAP_PERFMON a map value pointer may leave the value temporarily if it is back when used
; expect: accept
; map: array:4:8:1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
ld_pseudo r1, 1, 0
call 1
if r0 == 0 goto out
r0 += 16
r0 += -16
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
